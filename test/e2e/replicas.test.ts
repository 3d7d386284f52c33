/**
 * End to end: three Keel replicas in one process behave as one gateway. They share one simulator (so its
 * counts are what the upstream really saw), Redis (breaker openings, per-key counters, the leader lease)
 * and a PostgreSQL schema (keys, incidents). When the primary fails, the first replica whose breaker opens
 * tells the others, and all stop sending to it within about a second while traffic keeps flowing to the
 * fallback; a key's rpm holds across replicas; one replica holds the lease, so one incident is opened.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisUsageCounters } from '../../src/cluster/redis-usage-counters.js';
import { newKeySchema } from '../../src/server/auth/key-settings.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { dropSchema } from '../../src/store/postgres/__fixtures__/postgres-test-db.js';
import { silentLogger } from '../support/silent-logger.js';
import { TEST_POSTGRES_URL, TEST_REDIS_URL as REDIS_URL, requireService } from '../support/test-services.js';

await requireService('postgres');
await requireService('redis');

const run = randomBytes(4).toString('hex');
const schema = `keel_replicas_${run}`;
// Deployment ids are unique per run: the breaker hash in Redis is shared by whatever else uses this Redis.
const PRIMARY = `primary-${run}`;
const FALLBACK = `fallback-${run}`;
let sim: Simulator;
const replicas: RunningKeel[] = [];

function config(simUrl: string): unknown {
  return {
    cluster: { redis_url: REDIS_URL, lease: 'redis', lease_ttl_ms: 3000 },
    store: { postgres_url: TEST_POSTGRES_URL, postgres_schema: schema },
    // Long enough open that the breakers stay open for the whole observation; no throttle, so routing is breakers only.
    resilience: { breaker: { consecutive_failures: 3, open_ms: 20_000, max_open_ms: 30_000 }, adaptive_throttle: { enabled: false } },
    health: { incidents: { evaluate_every_ms: 200, open_after_ms: 1_000 } },
    deployments: [
      { id: PRIMARY, provider: 'openai', model: 'sim-primary', base_url: `${simUrl}/v1`, api_key: '${SIM_KEY}' },
      { id: FALLBACK, provider: 'openai', model: 'sim-fallback', base_url: `${simUrl}/v1`, api_key: '${SIM_KEY}' },
    ],
    routes: { smart: { deployments: [PRIMARY, FALLBACK], retry: { max_attempts_per_deployment: 1 } } },
  };
}

beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0 });
  for (let i = 0; i < 3; i++) {
    replicas.push(await startKeel({ port: 0, logger: silentLogger(), env: { SIM_KEY: 'sk-sim-test' }, config: config(sim.url) }));
  }
  // Every replica is subscribed and has read the shared breaker hash before traffic starts.
  await vi.waitFor(() => {
    for (const k of replicas) expect(k.services.sharedBreakers?.stats()).toMatchObject({ healthy: true, resyncs: expect.any(Number) });
    for (const k of replicas) expect(k.services.sharedBreakers!.stats().resyncs).toBeGreaterThan(0);
  }, { timeout: 10_000, interval: 50 });
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((k) => k.stop()));
  await sim?.close();
  const redis = new Redis(REDIS_URL);
  await redis.hdel('keel:breakers:open', PRIMARY, FALLBACK);
  const keys = await redis.keys(`keel:bucket:key_*`);
  for (const key of keys.filter((k) => createdKeyIds.some((id) => k.includes(id)))) await redis.del(key);
  redis.disconnect();
  await dropSchema(schema);
}, 60_000);

const createdKeyIds: string[] = [];
let turn = 0;
/** One chat request through the next replica in turn. */
async function chat(key?: string): Promise<{ status: number; replica: number }> {
  const replica = turn++ % replicas.length;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers['authorization'] = `Bearer ${key}`;
  const res = await fetch(`${replicas[replica]!.url}/v1/chat/completions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hello' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, replica };
}

const primaryCount = () => sim.stats().byModel['sim-primary'] ?? 0;
const fallbackCount = () => sim.stats().byModel['sim-fallback'] ?? 0;

describe('three replicas sharing Redis and PostgreSQL', () => {
  it('stop sending to a failing provider within about a second of the first replica seeing it fail', async () => {
    for (let i = 0; i < 6; i++) expect((await chat()).status).toBe(200);
    expect(primaryCount()).toBeGreaterThanOrEqual(6);

    const opened: { replica: number; atMs: number; reason: string }[] = [];
    replicas.forEach((k, replica) =>
      k.gateway.router.events.on('breaker', (e) => {
        if (e.deploymentId === PRIMARY && e.to === 'open') opened.push({ replica, atMs: Date.now(), reason: e.reason });
      }),
    );
    sim.setFault('sim-primary', { type: 'error', status: 503 });
    // Traffic continues through all three; every request is answered (by the fallback once the primary fails).
    const deadline = Date.now() + 15_000;
    while (opened.length === 0 && Date.now() < deadline) expect((await chat()).status).toBe(200);
    expect(opened.length).toBeGreaterThan(0);
    const firstOpenMs = opened[0]!.atMs;
    await vi.waitFor(() => {
      for (const k of replicas) expect(k.gateway.router.policies.breakers.isOpen(PRIMARY)).toBe(true);
    }, { timeout: 1_000, interval: 10 });
    const openedOnEvery = new Set(opened.map((o) => o.replica));
    expect(openedOnEvery.size).toBe(3);
    expect(Math.max(...[0, 1, 2].map((r) => opened.find((o) => o.replica === r)!.atMs)) - firstOpenMs).toBeLessThan(1_000);
    expect(opened.some((o) => o.reason === 'remote_open')).toBe(true);

    // From now on the primary sees nothing more, while all three keep answering from the fallback.
    const primaryBefore = primaryCount();
    const fallbackBefore = fallbackCount();
    const served = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const { status, replica } = await chat();
      expect(status).toBe(200);
      served.add(replica);
    }
    expect(served.size).toBe(3);
    expect(primaryCount()).toBe(primaryBefore);
    expect(fallbackCount() - fallbackBefore).toBe(30);
    // Each replica saw at most a couple of failures before it skipped the primary: far fewer than 3 × 3.
    expect(primaryBefore).toBeLessThan(6 + 9);
  });

  it('runs one incident detector: exactly one replica holds the lease, and one incident is recorded', async () => {
    expect(replicas.filter((k) => k.services.lease?.held === true)).toHaveLength(1);
    await vi.waitFor(async () => expect((await replicas[0]!.store.listIncidents({ limit: 10 })).length).toBeGreaterThan(0), { timeout: 15_000, interval: 200 });
    await new Promise((r) => setTimeout(r, 1_500)); // time for a second detector, if there were one, to open its own
    const incidents = await replicas[1]!.store.listIncidents({ limit: 10 });
    expect(incidents).toHaveLength(1);
  });

  it("holds a key's rpm across replicas", async () => {
    sim.clearFaults();
    const { record, secret } = await replicas[0]!.security.keys.create(newKeySchema.parse({ name: `replicas-${run}`, rpm: 10 }), 'test');
    createdKeyIds.push(record.id);
    // Keys live in the shared store; the other replicas' key rings pick it up on their next refresh (5 s).
    await vi.waitFor(() => {
      for (const k of replicas) expect(k.security.ring.get(record.id)).toBeDefined();
    }, { timeout: 15_000, interval: 100 });
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) statuses.push((await chat(secret)).status);
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // 10 at once, plus at most one refilled (one per 6 s) while the 21 requests run.
    expect(ok).toBeGreaterThanOrEqual(10);
    expect(ok).toBeLessThanOrEqual(12);
    for (const k of replicas) {
      expect(k.security.counters).toBeInstanceOf(RedisUsageCounters);
      expect((k.security.counters as RedisUsageCounters).stats()).toMatchObject({ healthy: true });
    }
  }, 40_000);

  it("holds a busier key's rpm across replicas while most takes are served from leases", async () => {
    sim.clearFaults();
    const rpm = 600; // a lease is 1%: 6 requests
    const { record, secret } = await replicas[0]!.security.keys.create(newKeySchema.parse({ name: `replicas-busy-${run}`, rpm }), 'test');
    createdKeyIds.push(record.id);
    await vi.waitFor(() => {
      for (const k of replicas) expect(k.security.ring.get(record.id)).toBeDefined();
    }, { timeout: 15_000, interval: 100 });
    const leasedBefore = replicas.reduce((n, k) => n + (k.security.counters as RedisUsageCounters).stats().leasedTakes, 0);
    const statuses: number[] = [];
    const startedAt = Date.now();
    let sent = 0;
    await Promise.all(Array.from({ length: 12 }, async () => {
      while (sent < rpm + 150) {
        sent++;
        statuses.push((await chat(secret)).status);
      }
    }));
    const elapsedS = (Date.now() - startedAt) / 1000;
    const ok = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // Never more than the bucket plus what it refilled (10 a second) while the requests ran; never less than
    // the bucket minus one unused lease per replica.
    expect(ok).toBeLessThanOrEqual(rpm + Math.ceil(elapsedS * (rpm / 60)) + 1);
    expect(ok).toBeGreaterThanOrEqual(rpm - replicas.length * (rpm / 100));
    const leased = replicas.reduce((n, k) => n + (k.security.counters as RedisUsageCounters).stats().leasedTakes, 0) - leasedBefore;
    expect(leased).toBeGreaterThan(rpm / 2); // most admissions never waited for Redis
  }, 60_000);
});
