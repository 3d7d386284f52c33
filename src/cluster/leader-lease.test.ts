/**
 * The Redis leader lease: its retry backoff, then against a real Redis one holder among contenders,
 * hand-over when the holder stops or is cut off, nothing held while Redis is unreachable, and callbacks
 * that throw. Without a reachable Redis the Redis tests fail, naming how to get one.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL as REDIS_URL, requireService } from '../../test/support/test-services.js';
import { startTcpProxy, type TcpProxy } from './__fixtures__/tcp-proxy.js';
import { LeaseTimeline, holdersOf, sleep, waitFor } from './__fixtures__/lease-timeline.js';
import { LeaderLease, type LeaderLeaseOptions } from './leader-lease.js';
import { leaseRetryDelayMs } from './lease.js';

const TTL_MS = 600;

describe('leaseRetryDelayMs', () => {
  it('doubles from the base up to the cap, half of it random', () => {
    expect([1, 2, 3, 10].map((n) => leaseRetryDelayMs(n, 100, 1_000, () => 0))).toEqual([50, 100, 200, 500]);
    expect(leaseRetryDelayMs(10, 100, 1_000, () => 1)).toBe(1_000);
  });
});

describe('LeaderLease (Redis)', () => {
  beforeAll(() => requireService('redis'));
  let key: string;
  let timeline: LeaseTimeline;
  let leases: Record<string, LeaderLease>;
  let admin: Redis;
  let proxy: TcpProxy | undefined;

  const contender = (who: string, options: Partial<LeaderLeaseOptions> = {}): LeaderLease => {
    const lease = new LeaderLease({ redis: REDIS_URL, key, ttlMs: TTL_MS, ...timeline.for(who), ...options });
    leases[who] = lease;
    return lease;
  };

  beforeEach(() => {
    key = `keel-test:leader:${randomUUID()}`;
    timeline = new LeaseTimeline();
    leases = {};
    admin = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await Promise.all(Object.values(leases).map((l) => l.stop()));
    await proxy?.close();
    proxy = undefined;
    await admin.del(key);
    admin.disconnect();
  });

  it('gives the lease to exactly one of three contenders, who keeps it while renewing', async () => {
    for (const who of ['a', 'b', 'c']) contender(who).start();
    await waitFor(() => holdersOf(leases).length === 1, TTL_MS, 'a holder');
    const [holder] = holdersOf(leases);
    await sleep(3 * TTL_MS); // several TTLs: renewals keep it, nobody else gets it
    expect(holdersOf(leases)).toEqual([holder]);
    expect(timeline.events).toEqual([{ who: holder, event: 'acquired' }]);
    expect(await admin.get(key)).toBe(leases[holder!]!.token);
    const pttl = await admin.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TTL_MS);
  });

  it('hands over within about a TTL when the holder stops, releasing the key', async () => {
    for (const who of ['a', 'b', 'c']) contender(who).start();
    await waitFor(() => holdersOf(leases).length === 1, TTL_MS, 'a holder');
    const [first] = holdersOf(leases);
    await leases[first!]!.stop();
    expect(timeline.events.find((e) => e.who === first && e.event === 'lost')).toEqual({ who: first, event: 'lost', reason: 'stopped' });
    const tookMs = await waitFor(() => holdersOf(leases).length === 1, 2 * TTL_MS, 'a new holder');
    expect(tookMs).toBeLessThan(TTL_MS); // released, so the next poll (every ttl/3) wins it
    expect(holdersOf(leases)).not.toContain(first);
    timeline.expectNeverTwoHolders();
  });

  it('lets go before the key expires when the holder is cut off from Redis, then another takes over', async () => {
    proxy = await startTcpProxy(6379);
    const cutOff = contender('cut-off', { redis: `redis://127.0.0.1:${proxy.port}` });
    cutOff.start();
    await waitFor(() => cutOff.held, TTL_MS, 'the first holder');
    contender('b').start();
    contender('c').start();
    await sleep(TTL_MS);
    expect(holdersOf(leases)).toEqual(['cut-off']);

    proxy.cut(); // from Redis's side the holder is dead: it renews no more
    await waitFor(() => !cutOff.held, TTL_MS, 'the cut-off holder to let go');
    expect(timeline.events.find((e) => e.who === 'cut-off' && e.event === 'lost')).toEqual({ who: 'cut-off', event: 'lost', reason: 'expired' });
    expect(timeline.errors.get('cut-off')?.length).toBeGreaterThan(0);
    const takeoverMs = await waitFor(() => holdersOf(leases).length === 1, 2 * TTL_MS, 'a new holder');
    expect(takeoverMs).toBeGreaterThan(0);
    timeline.expectNeverTwoHolders();

    proxy.restore(); // the old holder comes back as a follower: the new holder keeps renewing
    await sleep(2 * TTL_MS);
    expect(holdersOf(leases)).toHaveLength(1);
    expect(cutOff.held).toBe(false);
    timeline.expectNeverTwoHolders();
  });

  it('holds nothing while Redis is unreachable, reports it with backoff, and acquires once it is back', async () => {
    proxy = await startTcpProxy(6379);
    proxy.cut();
    const lease = contender('alone', { redis: `redis://127.0.0.1:${proxy.port}`, maxBackoffMs: 200 });
    lease.start();
    await sleep(2 * TTL_MS);
    expect(lease.held).toBe(false);
    const errors = timeline.errors.get('alone') ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThan(40); // backoff, not a busy loop
    proxy.restore();
    await waitFor(() => lease.held, 4 * TTL_MS, 'the lease after Redis came back');
  });

  it('stops without waiting out command timeouts or reconnects while Redis is unreachable', async () => {
    proxy = await startTcpProxy(6379);
    // A longer TTL than the others, so a command waiting for Redis would wait a noticeable 2 s (ttl / 3).
    const lease = contender('a', { redis: `redis://127.0.0.1:${proxy.port}`, ttlMs: 6_000 });
    lease.start();
    await waitFor(() => lease.held, 6_000, 'the holder');
    proxy.cut();
    await sleep(2_100); // a renewal is now queued behind the reconnect
    const startedMs = Date.now();
    await lease.stop();
    expect(Date.now() - startedMs).toBeLessThan(2_000);
    expect(lease.held).toBe(false);
    expect(timeline.events.at(-1)).toMatchObject({ who: 'a', event: 'lost' });
  });

  it('reports the lease taken when its key no longer holds its token', async () => {
    const lease = contender('a');
    lease.start();
    await waitFor(() => lease.held, TTL_MS, 'the holder');
    await admin.set(key, 'someone-else', 'PX', 10 * TTL_MS);
    await waitFor(() => !lease.held, TTL_MS, 'the lease to be lost');
    expect(timeline.events.at(-1)).toEqual({ who: 'a', event: 'lost', reason: 'taken' });
    expect(await admin.get(key)).toBe('someone-else'); // and it never deletes another's key
    await lease.stop();
    expect(await admin.get(key)).toBe('someone-else');
  });

  it('keeps running when a callback throws', async () => {
    const lease = contender('a', {
      onAcquired: () => {
        throw new Error('detector failed to start');
      },
      onError: (err) => timeline.for('a').onError(err),
    });
    lease.start();
    await waitFor(() => lease.held, TTL_MS, 'the holder');
    await sleep(TTL_MS);
    expect(lease.held).toBe(true);
    expect(timeline.errors.get('a')?.map((e) => e.message)).toEqual(['detector failed to start']);
  });
});
