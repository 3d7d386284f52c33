import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../resilience/index.js';
import type { AttemptRecord, RequestRecord, RouterEvents } from '../router/router-types.js';
import { LiveTraffic } from './live-traffic.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);

function attempt(deployment: string, over: Partial<AttemptRecord> = {}): AttemptRecord {
  return { requestId: 'r', route: 'smart', deployment, provider: 'openai', model: 'm', outcome: 'ok', startedAtMs: T0, latencyMs: 100, kind: 'first', ...over };
}

function request(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'r',
    route: 'smart',
    tenant: undefined,
    priority: 'interactive',
    clientFormat: 'openai',
    stream: false,
    startedAtMs: T0,
    latencyMs: 100,
    outcome: 'ok',
    degraded: undefined,
    deployment: 'primary',
    attempts: [attempt('primary')],
    ...over,
  };
}

describe('LiveTraffic', () => {
  it('counts requests per route with outcomes, who answered and failovers, and attempts per deployment', () => {
    let now = T0 + 5_000;
    const traffic = new LiveTraffic(() => now);
    const events = new TypedEmitter<RouterEvents>();
    const detach = traffic.attach(events);
    events.emit('attempt', attempt('primary'));
    events.emit('request', request({ tenant: 'acme', attempts: [attempt('primary', { usage: { inputTokens: 10, outputTokens: 5 } })] }));
    const failed = attempt('primary', { outcome: 'server_error', status: 503 });
    const rescued = attempt('fallback', { kind: 'failover', latencyMs: 250, ttftMs: 40 });
    events.emit('attempt', failed);
    events.emit('attempt', rescued);
    events.emit('request', request({ stream: true, deployment: 'fallback', latencyMs: 300, attempts: [failed, rescued], tenant: 'acme' }));
    events.emit('request', request({ outcome: 'all_deployments_failed', deployment: undefined, attempts: [failed] }));
    events.emit('attempt', attempt('primary', { kind: 'recovery_probe' }));
    now += 1_000;

    const snap = traffic.snapshot(5);
    expect(snap.routes).toHaveLength(1);
    const route = snap.routes[0]!;
    expect(route).toMatchObject({ route: 'smart', requests: 3, ok: 2, failedOver: 1, errors: { all_deployments_failed: 1 }, answeredBy: { primary: 1, fallback: 1 } });
    expect(route.perMinute).toEqual([0, 0, 0, 0, 3]);
    expect(route.ttftMs.p50).toBeCloseTo(40, -1);
    const primary = snap.deployments.find((d) => d.deployment === 'primary')!;
    // The recovery probe is not client traffic.
    expect(primary).toMatchObject({ attempts: 2, ok: 1, failures: { server_error: 1 } });
    expect(snap.deployments.find((d) => d.deployment === 'fallback')).toMatchObject({ attempts: 1, ok: 1, failovers: 1 });
    expect(snap.tenants).toEqual({ acme: 2 });
    expect(snap.tenantTokens).toEqual({ acme: 15 });

    detach();
    events.emit('request', request());
    expect(traffic.snapshot(5).routes[0]!.requests).toBe(3);
  });

  it('reads percentiles within a bucket (10%) of the truth', () => {
    const traffic = new LiveTraffic(() => T0);
    for (let ms = 1; ms <= 1000; ms++) traffic.recordRequest(request({ latencyMs: ms }));
    const { latencyMs } = traffic.snapshot(1).routes[0]!;
    expect(latencyMs.p50! / 500).toBeGreaterThanOrEqual(1);
    expect(latencyMs.p50! / 500).toBeLessThan(1.1);
    expect(latencyMs.p95! / 950).toBeGreaterThanOrEqual(1);
    expect(latencyMs.p95! / 950).toBeLessThan(1.1);
    expect(latencyMs.p99! / 990).toBeLessThan(1.1);
  });

  it("adds up each tenant's requests and tokens over the minutes asked for; a tenant that used no tokens has no tokens entry", () => {
    let now = T0;
    const traffic = new LiveTraffic(() => now);
    const used = (input: number, output: number) => [attempt('primary', { usage: { inputTokens: input, outputTokens: output } })];
    traffic.recordRequest(request({ tenant: 'acme', attempts: used(3, 4) }));
    traffic.recordRequest(request({ tenant: 'beta' })); // no usage reported
    now += MIN;
    traffic.recordRequest(request({ tenant: 'acme', attempts: used(10, 20) }));
    traffic.recordRequest(request({ tenant: 'acme', outcome: 'all_deployments_failed', deployment: undefined, attempts: [attempt('primary', { outcome: 'server_error' })] }));
    traffic.recordRequest(request()); // no tenant: anonymous
    const both = traffic.snapshot(2);
    expect(both.tenants).toEqual({ acme: 3, beta: 1 });
    expect(both.tenantTokens).toEqual({ acme: 37 });
    const last = traffic.snapshot(1);
    expect(last.tenants).toEqual({ acme: 2 });
    expect(last.tenantTokens).toEqual({ acme: 30 });
  });

  it('shows only the minutes asked for, and forgets minutes older than it keeps', () => {
    let now = T0;
    const traffic = new LiveTraffic(() => now);
    traffic.recordRequest(request());
    now += 3 * MIN;
    traffic.recordRequest(request());
    traffic.recordRequest(request());
    expect(traffic.snapshot(1).routes[0]!.requests).toBe(2);
    expect(traffic.snapshot(5).routes[0]!.perMinute).toEqual([0, 1, 0, 0, 2]);
    now += 20 * MIN;
    traffic.recordRequest(request());
    expect(traffic.snapshot(15).routes[0]!.requests).toBe(1);
    expect(traffic.snapshot(1000).minutes).toBe(15);
  });
});
