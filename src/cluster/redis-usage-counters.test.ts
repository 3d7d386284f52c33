/**
 * Usage counters (token buckets and spend), the same behaviour in memory and in a real Redis, then what only
 * Redis does: one bucket shared atomically by replicas, expiry, seeding spend once, and falling back to local
 * counters when Redis is unreachable. Without a reachable Redis the file fails, naming how to get one.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryUsageCounters, type UsageCounters } from '../server/auth/usage-counters.js';
import { TEST_REDIS_URL as REDIS, requireService } from '../../test/support/test-services.js';
import { RedisUsageCounters } from './redis-usage-counters.js';

await requireService('redis');

const prefix = `keel-test-${randomUUID()}`;
const T0 = Date.UTC(2025, 0, 31, 23, 59, 0);
const opened: RedisUsageCounters[] = [];

async function redisCounters(options: { redis?: string; commandTimeoutMs?: number; spendReadEveryMs?: number; leases?: { idleMs?: number } } = {}): Promise<RedisUsageCounters> {
  const { redis, ...rest } = options;
  // Batches every 100 ms rather than the default second: these tests wait for many of them.
  const c = new RedisUsageCounters({ redis: redis ?? REDIS, prefix, flushEveryMs: 100, ...rest });
  opened.push(c);
  if (options.redis === undefined) expect(await c.whenReady(5_000)).toBe(true);
  return c;
}

afterAll(async () => {
  await Promise.all(opened.map((c) => c.close()));
  const admin = new Redis(REDIS);
  const keys = await admin.keys(`${prefix}:*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

// The same behaviour, memory and Redis; ids are fresh per test so Redis state never leaks between them.
describe.each([
  ['memory', async (): Promise<UsageCounters> => new MemoryUsageCounters()],
  ['redis', async (): Promise<UsageCounters> => redisCounters()],
])('%s usage counters', (_name, make) => {
  it('allows a full minute of requests at once, then refills at the limit rate', async () => {
    const c = await make();
    const ask = [{ id: `${randomUUID()}:rpm`, perMinute: 3, cost: 1 }];
    for (let i = 0; i < 3; i++) expect((await c.take(ask, T0)).allowed).toBe(true);
    const refused = await c.take(ask, T0);
    expect(refused.allowed).toBe(false);
    expect(refused.buckets[0]).toMatchObject({ limit: 3, remaining: 0, retryAfterMs: 20_000, resetMs: 60_000 });
    expect((await c.take(ask, T0 + 19_999)).allowed).toBe(false);
    expect((await c.take(ask, T0 + 20_000)).allowed).toBe(true);
  });

  it('takes from every bucket or from none', async () => {
    const c = await make();
    const k = randomUUID();
    const asks = [
      { id: `${k}:rpm`, perMinute: 100, cost: 1 },
      { id: `${k}:tpm`, perMinute: 1_000, cost: 800 },
    ];
    expect((await c.take(asks, T0)).allowed).toBe(true);
    const second = await c.take(asks, T0);
    expect(second.allowed).toBe(false);
    expect(second.buckets.map((b) => b.remaining)).toEqual([99, 200]);
    expect(second.buckets[1]!.retryAfterMs).toBe(36_000);
  });

  it('admits a cost above the whole allowance only from a full bucket, leaving it in debt', async () => {
    const c = await make();
    const id = `${randomUUID()}:tpm`;
    expect((await c.take([{ id, perMinute: 100, cost: 250 }], T0)).allowed).toBe(true);
    expect((await c.take([{ id, perMinute: 100, cost: 1 }], T0 + 60_000)).allowed).toBe(false);
    expect((await c.take([{ id, perMinute: 100, cost: 1 }], T0 + 91_000)).allowed).toBe(true);
  });

  it('reconciles an estimate: an overestimate is given back', async () => {
    const c = await make();
    const id = `${randomUUID()}:tpm`;
    const ask = [{ id, perMinute: 1_000, cost: 900 }];
    await c.take(ask, T0);
    expect((await c.take(ask, T0)).allowed).toBe(false);
    await c.adjust(id, 1_000, -850, T0);
    expect((await c.take(ask, T0)).allowed).toBe(true);
  });

  it('counts spend per UTC day and month, starting afresh at each boundary', async () => {
    const c = await make();
    const k = randomUUID();
    await c.addSpend(k, 1.5, T0);
    await c.addSpend(k, 0.5, T0 + 30_000);
    expect(await c.spend(k, T0)).toEqual({ dayUsd: 2, monthUsd: 2 });
    const feb = T0 + 120_000;
    expect(await c.spend(k, feb)).toEqual({ dayUsd: 0, monthUsd: 0 });
    await c.addSpend(k, 1, feb);
    await c.addSpend(k, 7, T0); // late spend for a period already past: not counted now
    expect(await c.spend(k, feb)).toEqual({ dayUsd: 1, monthUsd: 1 });
    expect(await c.spend('other', feb)).toEqual({ dayUsd: 0, monthUsd: 0 });
  });

  it('charges a finished request in one step: tokens reconciled with usage, spend added', async () => {
    const c = await make();
    const k = randomUUID();
    const tpm = { id: `${k}:tpm`, perMinute: 1_000, cost: 100 };
    await c.take([tpm], T0); // the estimate: 100 tokens
    await c.charge(k, { id: tpm.id, perMinute: 1_000, amount: 300 }, 0.25, T0); // the answer used 400
    expect((await c.take([{ ...tpm, cost: 0 }], T0)).buckets[0]!.remaining).toBe(600);
    expect(await c.spend(k, T0)).toEqual({ dayUsd: 0.25, monthUsd: 0.25 });
    await c.charge(k, undefined, 0.5, T0); // a key without a token limit: spend only
    await c.charge(k, { id: tpm.id, perMinute: 1_000, amount: -200 }, 0, T0); // over-estimated: given back, no spend
    expect((await c.take([{ ...tpm, cost: 0 }], T0)).buckets[0]!.remaining).toBe(800);
    expect(await c.spend(k, T0)).toEqual({ dayUsd: 0.75, monthUsd: 0.75 });
  });
});

describe('RedisUsageCounters across replicas', () => {
  it('shares one bucket between instances, atomically', async () => {
    const [a, b, c] = await Promise.all([redisCounters(), redisCounters(), redisCounters()]);
    const ask = [{ id: `${randomUUID()}:rpm`, perMinute: 10, cost: 1 }];
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => [a, b, c][i % 3]!.take(ask, T0)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
  });

  it('expires idle buckets and old spend periods', async () => {
    const c = await redisCounters();
    const id = `${randomUUID()}:rpm`;
    await c.take([{ id, perMinute: 60, cost: 1 }], Date.now());
    await c.addSpend('ttl-key', 1, Date.now());
    const admin = new Redis(REDIS);
    const bucketTtl = await admin.pttl(`${prefix}:bucket:${id}`);
    expect(bucketTtl).toBeGreaterThan(60_000);
    expect(bucketTtl).toBeLessThanOrEqual(181_000);
    const ttls = await Promise.all((await admin.keys(`${prefix}:spend:ttl-key:*`)).map((k) => admin.pttl(k)));
    expect(ttls.sort((x, y) => x - y)).toEqual([expect.closeTo(2 * 86_400_000, -5), expect.closeTo(40 * 86_400_000, -5)]);
    admin.disconnect();
  });

  it('seeds spend rebuilt from the store once, however many replicas start', async () => {
    const k = randomUUID();
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      const c = await redisCounters();
      const seed = c.spendSeed();
      await seed.addSpend(k, 2, now);
      await seed.commit(now);
    }
    expect(await opened.at(-1)!.spend(k, now)).toEqual({ dayUsd: 2, monthUsd: 2 });
  });

  it("reads other replicas' spend at most once a period, and its own at once", async () => {
    const k = randomUUID();
    const now = Date.now();
    const [a, b] = await Promise.all([redisCounters({ spendReadEveryMs: 60_000 }), redisCounters({ spendReadEveryMs: 60_000 })]);
    expect(await b.spend(k, now)).toEqual({ dayUsd: 0, monthUsd: 0 });
    await a.charge(k, undefined, 2, now);
    expect(await b.spend(k, now)).toEqual({ dayUsd: 0, monthUsd: 0 }); // b's copy is younger than its period
    const sent = b.charge(k, undefined, 1, now);
    expect(await b.spend(k, now)).toEqual({ dayUsd: 1, monthUsd: 1 }); // its own spend shows at once, before Redis has it
    await sent;
    expect(await b.spend(k, now)).toEqual({ dayUsd: 3, monthUsd: 3 }); // the flush that sent it brought back the cluster's total
    const fresh = await redisCounters({ spendReadEveryMs: 0 });
    expect(await fresh.spend(k, now)).toEqual({ dayUsd: 3, monthUsd: 3 }); // Redis holds the cluster's total
  });

  it("reads a key's spend once when many of its requests arrive together", async () => {
    const k = randomUUID();
    const now = Date.now();
    const seeded = await redisCounters();
    await seeded.charge(k, undefined, 2, now);
    const c = await redisCounters();
    const spends = await Promise.all(Array.from({ length: 32 }, () => c.spend(k, now)));
    expect(spends.every((s) => s.dayUsd === 2 && s.monthUsd === 2)).toBe(true);
    expect(c.stats().spendReads).toBe(1);
    expect(c.spend(k, now)).toEqual({ dayUsd: 2, monthUsd: 2 }); // then the copy answers, at once
    expect(c.stats().spendReads).toBe(1);
  });

  it("keeps using a spend copy past its age while the next flush refreshes it, without a round trip on the path", async () => {
    const k = randomUUID();
    const now = Date.now();
    const [a, b] = await Promise.all([redisCounters(), redisCounters({ spendReadEveryMs: 0 })]);
    expect(await b.spend(k, now)).toEqual({ dayUsd: 0, monthUsd: 0 }); // first use: read from Redis
    await a.charge(k, undefined, 2, now);
    expect(await b.spend(k, now)).toEqual({ dayUsd: 0, monthUsd: 0 }); // the old copy answers at once...
    await vi.waitFor(async () => expect(await b.spend(k, now)).toEqual({ dayUsd: 2, monthUsd: 2 })); // ...and a flush refreshes it
    expect(b.stats().flushes).toBeGreaterThan(0);
  });

  it('serves a busy bucket from a lease: one round trip admits a hundred takes', async () => {
    const id = `${randomUUID()}:rpm`;
    const ask = [{ id, perMinute: 10_000, cost: 1 }];
    const [a, b] = await Promise.all([redisCounters(), redisCounters()]);
    expect((await a.take(ask, T0)).buckets[0]!.remaining).toBe(9_999); // took 1 and a lease of 100 (1%)
    for (let i = 0; i < 100; i++) {
      const leased = a.take(ask, T0);
      expect(leased).not.toBeInstanceOf(Promise); // from the lease, at once
      expect((await leased).allowed).toBe(true);
    }
    expect(a.stats().leasedTakes).toBe(100);
    const admin = new Redis(REDIS);
    expect(Number(await admin.hget(`${prefix}:bucket:${id}`, 'level'))).toBe(9_899); // the lease was taken from the shared bucket
    admin.disconnect();
    // Another replica sees what the first took (its lease included) and leases its own share.
    expect((await b.take(ask, T0)).buckets[0]!.remaining).toBe(9_898);
    expect((await a.take(ask, T0)).allowed).toBe(true); // a's lease is spent: back to Redis
    expect(a.stats().leasedTakes).toBe(100);
  });

  it('never admits more than a bucket holds across replicas, leaving at most one lease each unused', async () => {
    const replicas = await Promise.all([redisCounters(), redisCounters(), redisCounters()]);
    const ask = [{ id: `${randomUUID()}:rpm`, perMinute: 1_000, cost: 1 }]; // a lease is 10
    const results = await Promise.all(Array.from({ length: 1_500 }, (_, i) => replicas[i % 3]!.take(ask, T0)));
    const admitted = results.filter((r) => r.allowed).length;
    expect(admitted).toBeLessThanOrEqual(1_000);
    expect(admitted).toBeGreaterThanOrEqual(1_000 - 3 * 10);
    // Takes that found a lease on its way waited for it (twice at most, so a burst costs at most three round trips).
    expect(replicas.reduce((n, r) => n + r.stats().leasedTakes, 0)).toBeGreaterThanOrEqual(3 * 10);
  });

  it('gives an idle lease back to the shared bucket, and every lease at close', async () => {
    const id = `${randomUUID()}:rpm`;
    const admin = new Redis(REDIS);
    const level = async (): Promise<number> => Number(await admin.hget(`${prefix}:bucket:${id}`, 'level'));
    const idle = await redisCounters({ leases: { idleMs: 200 } });
    await idle.take([{ id, perMinute: 100_000, cost: 1 }], T0);
    expect(await level()).toBe(100_000 - 1 - 1_000);
    await vi.waitFor(async () => expect(await level()).toBeGreaterThanOrEqual(100_000 - 1), { timeout: 3_000 });
    const closing = await redisCounters();
    await closing.take([{ id, perMinute: 100_000, cost: 1 }], Date.now());
    expect(await level()).toBeLessThan(100_000 - 1_000);
    await closing.close();
    expect(await level()).toBeGreaterThanOrEqual(100_000 - 2);
    admin.disconnect();
  });

  it('sends what many requests settle as one script', async () => {
    const c = await redisCounters();
    const k = randomUUID();
    const before = c.stats().flushes;
    await Promise.all(Array.from({ length: 50 }, () => c.charge(k, { id: `${k}:tpm`, perMinute: 1_000, amount: 5 }, 0.01, T0)));
    expect(c.stats().flushes - before).toBe(1);
    expect((await c.take([{ id: `${k}:tpm`, perMinute: 1_000, cost: 0 }], T0)).buckets[0]!.remaining).toBe(750);
    expect((await redisCounters({ spendReadEveryMs: 0 }).then((fresh) => fresh.spend(k, T0))).dayUsd).toBeCloseTo(0.5, 9);
  });

  it('falls back to local counters when Redis is unreachable, without waiting', async () => {
    const c = await redisCounters({ redis: 'redis://127.0.0.1:1', commandTimeoutMs: 100 });
    const ask = [{ id: 'down:rpm', perMinute: 2, cost: 1 }];
    const started = Date.now();
    expect((await c.take(ask, T0)).allowed).toBe(true);
    expect((await c.take(ask, T0)).allowed).toBe(true);
    expect((await c.take(ask, T0)).allowed).toBe(false);
    await c.addSpend('down', 1, T0);
    expect(await c.spend('down', T0)).toEqual({ dayUsd: 1, monthUsd: 1 });
    expect(Date.now() - started).toBeLessThan(500);
    expect(c.stats()).toMatchObject({ healthy: false, fallbacks: 5, degradedEpisodes: 1 });
  });
});
