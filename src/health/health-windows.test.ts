import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Outcome } from '../core/outcome.js';
import { TypedEmitter } from '../resilience/typed-emitter.js';
import { HealthWindows, type HealthAttempt, type HealthEvents } from './health-windows.js';
import { percentiles, quantile, emptyCounts, bucketOf } from './histogram.js';
import { MaintenanceCalendar } from './maintenance-calendar.js';

const T0 = Date.UTC(2025, 0, 1, 12);

function setup() {
  const clock = new ManualClock(T0);
  const calendar = new MaintenanceCalendar();
  const health = new HealthWindows({ clock, calendar, deployments: [{ id: 'a', provider: 'openai' }, { id: 'b', provider: 'openai' }, { id: 'c', provider: 'anthropic' }] });
  let n = 0;
  const attempt = (deployment: string, outcome: Outcome, fields: Partial<HealthAttempt> = {}): void =>
    health.recordAttempt({ requestId: `req_${++n}`, deployment, outcome, startedAtMs: clock.now() - 300, latencyMs: 300, ...(outcome === 'ok' ? { ttftMs: 200 } : {}), ...fields });
  /** `mix` outcomes spread over the last `spreadMs`. */
  const traffic = (deployment: string, mix: Partial<Record<Outcome, number>>): void => {
    for (const [outcome, count] of Object.entries(mix)) for (let i = 0; i < count; i++) attempt(deployment, outcome as Outcome);
  };
  return { clock, calendar, health, attempt, traffic };
}

describe('HealthWindows', () => {
  it.each([
    [{ ok: 100 }, 'operational'],
    [{ ok: 96, server_error: 4 }, 'operational'],
    [{ ok: 90, overloaded: 10 }, 'degraded_performance'],
    [{ ok: 70, rate_limited: 30 }, 'partial_outage'],
    [{ ok: 20, timeout: 80 }, 'major_outage'],
    // Client errors are the caller's fault: they count as calls, not as failures.
    [{ ok: 10, bad_request: 90 }, 'operational'],
  ] as const)('judges %o as %s', (mix, status) => {
    const { health, traffic } = setup();
    traffic('a', mix);
    const h = health.evaluateDeployment('a');
    expect(h.status).toBe(status);
    expect(h.confidence).toBe('high');
    expect(h.short.attempts).toBe(100);
  });

  it('counts by outcome and computes the error rate, ignoring cancelled attempts', () => {
    const { health, traffic, attempt } = setup();
    traffic('a', { ok: 6, overloaded: 3, bad_request: 1 });
    attempt('a', 'timeout', { cancelled: true });
    const h = health.evaluateDeployment('a');
    expect(h.short.outcomes).toEqual({ ok: 6, overloaded: 3, bad_request: 1 });
    expect(h.short.faults).toBe(3);
    expect(h.short.errorRate).toBeCloseTo(0.3);
  });

  it('slides: the one-minute window forgets, the five-minute one remembers', () => {
    const { health, traffic, clock } = setup();
    traffic('a', { server_error: 20 });
    clock.advance(90_000);
    traffic('a', { ok: 20 });
    const h = health.evaluateDeployment('a');
    expect(h.short.outcomes).toEqual({ ok: 20 });
    expect(h.long.outcomes).toEqual({ ok: 20, server_error: 20 });
    expect(h.status).toBe('operational');
    clock.advance(6 * 60_000);
    expect(health.evaluateDeployment('a').long.attempts).toBe(0);
  });

  it('computes latency and TTFT percentiles from the bucketed histogram', () => {
    const { health, attempt } = setup();
    for (let i = 1; i <= 100; i++) attempt('a', 'ok', { latencyMs: i * 10, ttftMs: i * 5 });
    const h = health.evaluateDeployment('a');
    // Geometric buckets: within 25% of the exact percentile.
    expect(h.short.latencyMs!.p50).toBeGreaterThan(500 * 0.75);
    expect(h.short.latencyMs!.p50).toBeLessThan(500 * 1.25);
    expect(h.short.latencyMs!.p95).toBeGreaterThan(950 * 0.75);
    expect(h.short.latencyMs!.p99).toBeLessThanOrEqual(1_000 * 1.5);
    expect(h.short.ttftMs!.p95).toBeGreaterThan(475 * 0.75);
    expect(h.short.ttftMs!.p95).toBeLessThan(475 * 1.25);
  });

  it('reads exact bucket bounds and interpolates inside a bucket', () => {
    const bounds = [100, 200, 400];
    const counts = emptyCounts(bounds);
    counts[bucketOf(150, bounds)] = 10;
    expect(quantile(counts, 0.5, bounds)).toBe(150);
    expect(quantile(counts, 1, bounds)).toBe(200);
    expect(percentiles(emptyCounts(bounds), bounds)).toBeUndefined();
  });

  it('needs a minimum volume: too little traffic is operational with low confidence and asks for a probe', () => {
    const { health, traffic } = setup();
    traffic('a', { server_error: 3 });
    const h = health.evaluateDeployment('a');
    expect(h).toMatchObject({ status: 'operational', confidence: 'low', needsProbe: true, basis: 'none' });
  });

  it('falls back to the five-minute window when the last minute is thin', () => {
    const { health, traffic, clock } = setup();
    traffic('a', { server_error: 8 });
    clock.advance(120_000);
    traffic('a', { server_error: 2, ok: 1 });
    const h = health.evaluateDeployment('a');
    expect(h.basis).toBe('long_window');
    expect(h.status).toBe('major_outage');
  });

  it('takes the status from the breaker when it is open: major with no successes, partial with some', () => {
    const { health, clock, traffic } = setup();
    health.recordBreaker({ deploymentId: 'a', to: 'open', atMs: clock.now() });
    expect(health.evaluateDeployment('a')).toMatchObject({ status: 'major_outage', basis: 'breaker', needsProbe: true });
    traffic('a', { ok: 1 });
    expect(health.evaluateDeployment('a').status).toBe('partial_outage');
    health.recordBreaker({ deploymentId: 'a', to: 'closed', atMs: clock.now() });
    expect(health.evaluateDeployment('a')).toMatchObject({ status: 'operational', confidence: 'low' });
  });

  it('marks elevated latency against the learned baseline as degraded performance', () => {
    const { health, attempt, clock } = setup();
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 20; i++) attempt('a', 'ok', { ttftMs: 300 });
      clock.advance(60_000);
      health.evaluateDeployment('a');
    }
    expect(health.evaluateDeployment('a').baselineP95Ms).toBeGreaterThan(200);
    for (let i = 0; i < 20; i++) attempt('a', 'ok', { ttftMs: 4_000 });
    const h = health.evaluateDeployment('a');
    expect(h.status).toBe('degraded_performance');
    expect(h.reason).toMatch(/p95 time to first token/);
  });

  it('is under maintenance while a declared window covers now, directly or through the provider', () => {
    const { health, calendar, traffic, clock } = setup();
    traffic('a', { server_error: 50 });
    calendar.add({ id: 'm1', component: 'provider:openai', startsAt: clock.now() - 1, endsAt: clock.now() + 60_000, description: 'upgrade', createdBy: 'alice' });
    expect(health.evaluateDeployment('a')).toMatchObject({ status: 'under_maintenance', needsProbe: false });
    expect(health.evaluateDeployment('c').status).toBe('operational');
    clock.advance(60_000);
    expect(health.evaluateDeployment('a').status).not.toBe('under_maintenance');
  });

  it('aggregates providers (down only when every deployment is) and routes into Keel', () => {
    const { health, traffic } = setup();
    traffic('a', { server_error: 20 });
    traffic('b', { ok: 20 });
    traffic('c', { ok: 20 });
    health.recordRequest({ requestId: 'r1', route: 'smart', outcome: 'ok', startedAtMs: T0, latencyMs: 1 });
    let snap = health.evaluate();
    expect(snap.providers.find((p) => p.name === 'openai')).toMatchObject({ status: 'partial_outage', component: 'provider:openai' });
    expect(snap.providers.find((p) => p.name === 'openai')!.short.attempts).toBe(40);
    traffic('b', { server_error: 200 });
    snap = health.evaluate();
    expect(snap.providers.find((p) => p.name === 'openai')!.status).toBe('major_outage');
    expect(snap.providers.find((p) => p.name === 'anthropic')!.status).toBe('operational');
    expect(snap.keel.status).toBe('operational');
  });

  it('judges routes by what clients received, leaving out probes and client errors', () => {
    const { health } = setup();
    const request = (requestId: string, outcome: string, degraded?: 'cache') => health.recordRequest({ requestId, route: 'smart', outcome, startedAtMs: T0, latencyMs: 5, degraded });
    for (let i = 0; i < 6; i++) request(`r${i}`, 'ok');
    for (let i = 0; i < 4; i++) request(`e${i}`, 'all_deployments_failed');
    for (let i = 0; i < 50; i++) request(`probe_x_${i}`, 'all_deployments_failed');
    request('c1', 'invalid_request');
    request('d1', 'ok', 'cache');
    const route = health.evaluate().routes.find((r) => r.route === 'smart')!;
    expect(route.short.attempts).toBe(12);
    expect(route.short.faults).toBe(5);
    expect(route.status).toBe('partial_outage');
  });

  it('flags probe attempts and counts them for the deployment', () => {
    const { health, attempt } = setup();
    for (let i = 0; i < 5; i++) attempt('a', 'ok', { requestId: `probe_a_${i}` });
    expect(health.evaluateDeployment('a').short).toMatchObject({ attempts: 5, probes: 5 });
  });

  it('finds the run of bad buckets, bridging breaker-open gaps, ending at the last observed failure', () => {
    const { health, traffic, clock } = setup();
    traffic('a', { ok: 5 });
    clock.advance(10_000);
    traffic('a', { server_error: 5 });
    const failedAt = clock.now();
    health.recordBreaker({ deploymentId: 'a', to: 'open', atMs: clock.now() });
    clock.advance(45_000);
    const run = health.badRun('a')!;
    expect(run.startMs).toBe(Math.floor(failedAt / 10_000) * 10_000);
    expect(run.lastFailureEndMs).toBe(run.startMs + 10_000);
    health.recordBreaker({ deploymentId: 'a', to: 'closed', atMs: clock.now() });
    clock.advance(10_000);
    traffic('a', { ok: 5 });
    expect(health.badRun('a')).toBeUndefined();
  });

  it('reports a broken event to onError instead of throwing into the router, and keeps counting', () => {
    const errors: unknown[] = [];
    const clock = new ManualClock(T0);
    const health = new HealthWindows({ clock, calendar: new MaintenanceCalendar(), deployments: [{ id: 'a', provider: 'openai' }], onError: (e) => errors.push(e) });
    const events = new TypedEmitter<HealthEvents & Record<string, unknown>>();
    const detach = health.attach(events);
    expect(() => events.emit('attempt', null as unknown as HealthAttempt)).not.toThrow();
    expect(errors).toHaveLength(1);
    events.emit('attempt', { requestId: 'req_1', deployment: 'a', outcome: 'ok', startedAtMs: T0 - 300, latencyMs: 300, ttftMs: 200 });
    expect(health.evaluateDeployment('a').short.attempts).toBe(1);
    detach();
    events.emit('attempt', { requestId: 'req_2', deployment: 'a', outcome: 'ok', startedAtMs: T0 - 300, latencyMs: 300, ttftMs: 200 });
    expect(health.evaluateDeployment('a').short.attempts).toBe(1);
  });
});
