/**
 * Shared breakers against a real Redis: a breaker opening on one replica opens the others until the same
 * time, a late starter picks it up, foreign and malformed messages are ignored, and a replica cut off from
 * Redis keeps working on local state; then `CircuitBreaker.openUntil`, which they rely on. Without a
 * reachable Redis the file fails, naming how to get one.
 */
import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { BreakerRegistry } from '../resilience/breaker-registry.js';
import { CircuitBreaker, type CircuitStateChangeEvent } from '../resilience/circuit-breaker.js';
import { ManualClock } from '../core/clock.js';
import { TypedEmitter } from '../resilience/typed-emitter.js';
import type { Router } from '../router/router.js';
import type { RouterEvents } from '../router/router-types.js';
import { TEST_REDIS_URL as REDIS, requireService } from '../../test/support/test-services.js';
import { SharedBreakers, type SharedBreakersOptions } from './shared-breakers.js';

await requireService('redis');

const prefix = `keel-test-${randomUUID()}`;
const admin = new Redis(REDIS, { lazyConnect: true });
const running: SharedBreakers[] = [];

/** The part of a router shared breakers use: its events and a breaker registry (opens after 2 faults). */
function fakeRouter(): Pick<Router, 'events' | 'policies'> & { changes: CircuitStateChangeEvent[] } {
  const events = new TypedEmitter<RouterEvents>();
  const breakers = new BreakerRegistry({ consecutiveFailuresToOpen: 2, openDurationBaseMs: 20_000 });
  const changes: CircuitStateChangeEvent[] = [];
  breakers.on('stateChange', (e) => {
    changes.push(e);
    events.emit('breaker', e);
  });
  return { events, policies: { breakers } as unknown as Router['policies'], changes };
}

function fail(router: Pick<Router, 'policies'>, id: string, times = 2): void {
  const breaker = router.policies.breakers.get(id);
  for (let i = 0; i < times; i++) {
    const acquired = breaker.tryAcquire();
    if (acquired.allowed) breaker.onResult(acquired.permit, 'server_error');
  }
}

function shared(router: Pick<Router, 'events' | 'policies'>, extra: Partial<SharedBreakersOptions> = {}): SharedBreakers {
  const s = new SharedBreakers({ redis: REDIS, router, prefix, resyncIntervalMs: 500, ...extra });
  running.push(s);
  s.start();
  return s;
}

const synced = (s: SharedBreakers) => vi.waitFor(() => expect(s.stats().resyncs).toBeGreaterThan(0), { timeout: 5_000, interval: 20 });

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await admin.del(`${prefix}:breakers:open`);
  admin.disconnect();
});

describe('SharedBreakers', () => {
  it("closes every replica's breaker when the leader's recovery probe is answered", async () => {
    const [a, b] = [fakeRouter(), fakeRouter()];
    const sa = shared(a);
    const sb = shared(b);
    await Promise.all([synced(sa), synced(sb)]);
    fail(b, 'primary');
    await vi.waitFor(() => expect(a.policies.breakers.get('primary').state.state).toBe('open'), { timeout: 1_000, interval: 10 });
    // a holds the lease: its recovery probe is answered.
    const breaker = a.policies.breakers.get('primary');
    breaker.onResult(breaker.acquireRecoveryProbe(), 'ok');
    expect(breaker.state.state).toBe('closed');
    await vi.waitFor(() => expect(b.policies.breakers.get('primary').state.state).toBe('closed'), { timeout: 1_000, interval: 10 });
    expect(b.changes.at(-1)).toMatchObject({ to: 'closed', reason: 'remote_recovered' });
    // The opening is gone from the hash: a replica starting now does not open on stale news.
    expect(await admin.hget(`${prefix}:breakers:open`, 'primary')).toBeNull();
  });

  it('opens every other replica until the same time, without echoing remote openings', async () => {
    const [a, b, c] = [fakeRouter(), fakeRouter(), fakeRouter()];
    const sa = shared(a);
    const sb = shared(b);
    const sc = shared(c);
    await Promise.all([synced(sa), synced(sb), synced(sc)]);
    fail(a, 'primary');
    const untilMs = (a.policies.breakers.get('primary').state as { untilMs: number }).untilMs;
    for (const r of [b, c]) {
      await vi.waitFor(() => expect(r.policies.breakers.get('primary').state).toMatchObject({ state: 'open', untilMs }), { timeout: 1_000, interval: 10 });
      expect(r.changes.at(-1)).toMatchObject({ to: 'open', reason: 'remote_open', untilMs });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(sa.stats().published).toBe(1);
    expect(sb.stats().published + sc.stats().published).toBe(0);
    expect(b.changes.filter((e) => e.to === 'open')).toHaveLength(1);
  });

  it('lets a replica that starts later pick up an opening, and forgets it once its origin closes', async () => {
    const a = fakeRouter();
    const sa = shared(a);
    await synced(sa);
    fail(a, 'late');
    await vi.waitFor(() => expect(sa.stats().published).toBe(1), { timeout: 2_000, interval: 10 });
    const b = fakeRouter();
    const sb = shared(b);
    await vi.waitFor(() => expect(b.policies.breakers.isOpen('late')).toBe(true), { timeout: 2_000, interval: 10 });
    // (While b holds it open, b would record it again: see the next test.)
    await sb.stop();
    a.policies.breakers.get('late').forceClose();
    await vi.waitFor(async () => expect(await admin.hget(`${prefix}:breakers:open`, 'late')).toBeNull(), { timeout: 2_000, interval: 10 });
    expect(await admin.pttl(`${prefix}:breakers:open`)).toBeGreaterThan(0);
  });

  it('records again an opening the hash lost, so a replica starting after Redis came back empty learns it', async () => {
    const [a, b] = [fakeRouter(), fakeRouter()];
    const sa = shared(a);
    const sb = shared(b);
    await Promise.all([synced(sa), synced(sb)]);
    fail(a, 'orphan');
    const untilMs = (a.policies.breakers.get('orphan').state as { untilMs: number }).untilMs;
    await vi.waitFor(() => expect(b.policies.breakers.isOpen('orphan')).toBe(true), { timeout: 1_000, interval: 10 });
    // The replica that opened it dies (nothing released), and Redis loses the hash.
    await sa.stop();
    await admin.hdel(`${prefix}:breakers:open`, 'orphan');
    // b learned it from a, and records it again under its own name at its next resync.
    await vi.waitFor(async () => expect(JSON.parse((await admin.hget(`${prefix}:breakers:open`, 'orphan')) ?? '{}')).toMatchObject({ untilMs, origin: sb.origin }), { timeout: 2_000, interval: 20 });
    const c = fakeRouter();
    shared(c);
    await vi.waitFor(() => expect(c.policies.breakers.get('orphan').state).toMatchObject({ state: 'open', untilMs }), { timeout: 2_000, interval: 10 });
    // Recording it again changed nothing for b: no second opening, no echo.
    expect(b.changes.filter((e) => e.deploymentId === 'orphan' && e.to === 'open')).toHaveLength(1);
    expect(sb.stats().published).toBe(1);
  });

  it('ignores deployments it does not serve and malformed messages', async () => {
    const a = fakeRouter();
    const b = fakeRouter();
    const sa = shared(a);
    const sb = shared(b, { knows: (id) => id !== 'foreign' });
    await Promise.all([synced(sa), synced(sb)]);
    await admin.publish(`${prefix}:breakers`, '{not json');
    await admin.publish(`${prefix}:breakers`, JSON.stringify({ deploymentId: 'x', untilMs: 'soon', origin: 'o' }));
    fail(a, 'foreign');
    await vi.waitFor(() => expect(sb.stats().received).toBeGreaterThanOrEqual(3), { timeout: 2_000, interval: 10 });
    expect(b.policies.breakers.isOpen('foreign')).toBe(false);
    expect(b.changes.filter((e) => e.deploymentId === 'foreign')).toEqual([]);
  });

  it('keeps working on local state while Redis is unreachable, and resynchronises when it returns', async () => {
    const proxy = await tcpProxy(6379);
    const url = `redis://127.0.0.1:${proxy.port}`;
    const a = fakeRouter();
    const b = fakeRouter();
    const sa = shared(a, { redis: url, commandTimeoutMs: 200 });
    const sb = shared(b, { redis: url, commandTimeoutMs: 200 });
    try {
      await Promise.all([synced(sa), synced(sb)]);
      await proxy.cut();
      const started = Date.now();
      fail(a, 'outage'); // publishing fails in the background; the breaker opens locally at once
      expect(Date.now() - started).toBeLessThan(50);
      expect(a.policies.breakers.isOpen('outage')).toBe(true);
      await vi.waitFor(() => expect(sa.stats()).toMatchObject({ healthy: false }), { timeout: 3_000, interval: 20 });
      expect(sa.stats().failures).toBeGreaterThan(0);
      expect(b.policies.breakers.isOpen('outage')).toBe(false);
      await proxy.resume();
      await vi.waitFor(() => expect(b.policies.breakers.isOpen('outage')).toBe(true), { timeout: 10_000, interval: 50 });
      expect(sa.stats().healthy).toBe(true);
    } finally {
      await Promise.all(running.splice(0).map((s) => s.stop()));
      await proxy.close();
    }
  });
});

describe('CircuitBreaker.openUntil', () => {
  const clock = new ManualClock(1_000);
  it('opens a closed or half-open breaker, extends a shorter opening silently, leaves longer and forced ones', () => {
    const breaker = new CircuitBreaker('d', { openDurationBaseMs: 1_000 }, clock);
    const events: CircuitStateChangeEvent[] = [];
    breaker.on('stateChange', (e) => events.push(e));
    expect(breaker.openUntil(500, 'remote')).toBe(false); // already past
    expect(breaker.openUntil(5_000, 'remote', 2)).toBe(true);
    expect(events).toEqual([{ deploymentId: 'd', from: 'closed', to: 'open', atMs: 1_000, reason: 'remote_open', untilMs: 5_000 }]);
    expect(breaker.openUntil(4_000, 'remote')).toBe(false);
    expect(breaker.openUntil(6_000, 'remote')).toBe(true);
    expect(breaker.state).toMatchObject({ state: 'open', untilMs: 6_000, openCount: 2 });
    expect(events).toHaveLength(1);
    clock.advance(5_000);
    expect(breaker.tryAcquire()).toMatchObject({ allowed: true, permit: { kind: 'probe' } });
    expect(breaker.openUntil(9_000, 'remote')).toBe(true);
    expect(events.at(-1)).toMatchObject({ from: 'half_open', to: 'open', reason: 'remote_open' });
    breaker.forceOpen();
    expect(breaker.openUntil(20_000, 'remote')).toBe(false);
    expect(breaker.state.state).toBe('forced_open');
  });
});

/** A TCP proxy to a local port that can cut every connection and refuse new ones, then resume. */
async function tcpProxy(target: number): Promise<{ port: number; cut(): Promise<void>; resume(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = connect(target, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server?.close(() => resolve());
    });
  await listen();
  return { port, cut: stop, resume: listen, close: stop };
}
