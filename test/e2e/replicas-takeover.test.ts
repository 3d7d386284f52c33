/**
 * End to end: truth survives a leader change. Three `keel serve` processes share a Redis of the test's own
 * and a PostgreSQL schema. The primary starts answering 503; every replica's breaker opens and every
 * request is still answered. Then the replica holding the leader lease is SIGKILLed before the outage has
 * lasted long enough for an incident, and Redis is killed and restarted empty. A survivor takes over the
 * detector and records exactly one incident whose impact starts at the fault, not at the takeover; a
 * replacement replica, started after Redis came back empty, learns the open breaker from the survivors;
 * every replica closes together when the new leader's recovery probe is answered; and a replica given SIGTERM while Redis is down exits within its drain timeout.
 *
 * Short settings where the test is about them (lease TTL, detector windows, drain timeout): the whole run
 * is a few tens of seconds.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { dropSchema } from '../../src/store/postgres/__fixtures__/postgres-test-db.js';
import { PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { startKeelProcess, type KeelProcess } from '../support/keel-process.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-process.js';
import { TEST_POSTGRES_URL, requireService } from '../support/test-services.js';

await requireService('postgres');

const run = randomBytes(4).toString('hex');
const schema = `keel_takeover_${run}`;
const PRIMARY = 'primary';
const ADMIN_TOKEN = `admin-${run}-token-0123456789`;
const MINUTE_MS = 60_000;
// Small where the test is about them: an incident after 8 s of outage (longer than the kill takes to
// happen), a short window that forgets the first failures before that, a 3 s drain.
// The lease's Redis commands time out after a third of its TTL: 3 s, which a shutdown must not wait out.
const LEASE_TTL_MS = 9_000;
const OPEN_AFTER_MS = 8_000;
const DRAIN_TIMEOUT_MS = 3_000;

let sim: Simulator;
let redis: RedisProcess;
let store: PostgresStore;
let configPath: string;
const replicas: KeelProcess[] = [];
const urls = new Map<KeelProcess, string>();

function config(simUrl: string, redisUrl: string): unknown {
  return {
    server: { host: '127.0.0.1', admin_token: ADMIN_TOKEN, drain_timeout_ms: DRAIN_TIMEOUT_MS, log_level: 'info' },
    cluster: { redis_url: redisUrl, lease: 'redis', lease_ttl_ms: LEASE_TTL_MS },
    store: { postgres_url: TEST_POSTGRES_URL, postgres_schema: schema, flush_interval_ms: 500 },
    // Breakers stay open for the whole observation; no throttle, so routing is breakers only.
    resilience: { breaker: { consecutive_failures: 3, open_ms: 40_000, max_open_ms: 60_000 }, adaptive_throttle: { enabled: false } },
    health: {
      windows: { bucket_ms: 1_000, short_window_ms: 4_000, long_window_ms: 60_000, min_attempts_short: 3, min_attempts_long: 5 },
      incidents: { evaluate_every_ms: 250, open_after_ms: OPEN_AFTER_MS },
    },
    deployments: [
      { id: PRIMARY, provider: 'openai', model: 'sim-primary', base_url: `${simUrl}/v1`, api_key: '${SIM_KEY}' },
      { id: 'fallback', provider: 'openai', model: 'sim-fallback', base_url: `${simUrl}/v1`, api_key: '${SIM_KEY}' },
    ],
    routes: { smart: { deployments: [PRIMARY, 'fallback'], retry: { max_attempts_per_deployment: 1 } } },
  };
}

async function startReplica(): Promise<KeelProcess> {
  const replica = startKeelProcess(configPath, { SIM_KEY: 'sk-sim-test' });
  replicas.push(replica);
  urls.set(replica, await replica.url);
  return replica;
}

beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0 });
  redis = await startRedisProcess();
  const dir = mkdtempSync(join(tmpdir(), 'keel-takeover-'));
  configPath = join(dir, 'keel.yaml');
  writeFileSync(configPath, JSON.stringify(config(sim.url, redis.url), null, 2)); // YAML reads JSON
  // The first replica creates the schema; the others find it.
  await startReplica();
  await Promise.all([startReplica(), startReplica()]);
  store = new PostgresStore({ connectionString: TEST_POSTGRES_URL, schema });
}, 60_000);

afterAll(async () => {
  for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await Promise.all(replicas.map((r) => r.exit));
  await store?.close();
  await redis?.kill();
  await sim?.close();
  await dropSchema(schema);
}, 30_000);

/** The pid in the lease key's token (`host:pid:random`), or undefined while nobody holds it. */
async function leaseHolderPid(): Promise<number | undefined> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const token = await client.get('keel:leader:incidents');
    return token === null ? undefined : Number(token.split(':')[1]);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function breakerOf(replica: KeelProcess): Promise<{ state: string; untilMs?: number }> {
  const res = await fetch(`${urls.get(replica)}/admin/breakers/${PRIMARY}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { state: { state: string; untilMs?: number } }).state;
}

/** Client traffic through the live replicas in turn, one request at a time; every status is kept. */
class Traffic {
  live: KeelProcess[] = [];
  readonly statuses: number[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  private turn = 0;

  start(live: KeelProcess[]): void {
    this.live = live;
    this.running = this.loop();
  }

  /** Stops sending to `replica` and waits for a request in flight to it to finish. */
  async without(replica: KeelProcess): Promise<void> {
    this.live = this.live.filter((r) => r !== replica);
    await this.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private inFlight: Promise<unknown> = Promise.resolve();
  private idle(): Promise<unknown> {
    return this.inFlight;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const replica = this.live[this.turn++ % this.live.length]!;
      const sent = fetch(`${urls.get(replica)}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hello' }] }),
      }).then(async (res) => {
        await res.arrayBuffer();
        return res.status;
      }, () => 0);
      this.inFlight = sent;
      this.statuses.push(await sent);
      await new Promise((r) => setTimeout(r, 40));
    }
  }
}

describe('three replicas when the lease holder dies mid-outage and Redis restarts empty', () => {
  it('records one incident from the fault on, converges every breaker, and shuts down within the drain timeout', async () => {
    const pids = replicas.map((r) => r.pid);
    await vi.waitFor(async () => expect(pids).toContain(await leaseHolderPid()), { timeout: 20_000, interval: 100 });
    const traffic = new Traffic();
    traffic.start([...replicas]);
    await vi.waitFor(() => expect(traffic.statuses.length).toBeGreaterThanOrEqual(6), { timeout: 10_000, interval: 20 });

    // The fault starts while the traffic goes through the lease holder alone: its breaker is the only one
    // opened on its own evidence, the others learn it through Redis.
    const leaderPid = await leaseHolderPid();
    const leader = replicas.find((r) => r.pid === leaderPid)!;
    expect(leader).toBeDefined();
    const survivors = replicas.filter((r) => r !== leader);
    for (const r of survivors) await traffic.without(r);
    sim.setFault('sim-primary', { type: 'error', status: 503 });
    const faultAtMs = Date.now();
    await vi.waitFor(async () => {
      for (const r of replicas) expect((await breakerOf(r)).state).toBe('open');
    }, { timeout: 10_000, interval: 100 });
    traffic.live.push(...survivors);

    // The lease holder dies before the outage has lasted long enough for an incident; Redis restarts empty.
    await traffic.without(leader);
    leader.child.kill('SIGKILL');
    await leader.exit;
    const killedAtMs = Date.now();
    expect(killedAtMs - faultAtMs).toBeLessThan(OPEN_AFTER_MS); // else the old leader may have opened it
    await redis.kill();
    await new Promise((r) => setTimeout(r, 500));
    await redis.start();

    // A replacement replica starts against the empty Redis (as an orchestrator restarts a killed pod). Before
    // any request reaches it, it learns the open breaker: the survivors recorded it again.
    const replacement = await startReplica();
    const live = replicas.filter((r) => r !== leader);
    await vi.waitFor(async () => expect((await breakerOf(replacement)).state).toBe('open'), { timeout: 15_000, interval: 200 });
    traffic.live.push(replacement);

    // A survivor (or the replacement) takes over the lease.
    await vi.waitFor(async () => expect(live.map((r) => r.pid)).toContain(await leaseHolderPid()), { timeout: 20_000, interval: 100 });

    // Exactly one incident, for the primary, with the fault's impact window.
    await vi.waitFor(async () => expect(await store.listIncidents({ component: `deployment:${PRIMARY}` })).toHaveLength(1), { timeout: 30_000, interval: 250 });
    await new Promise((r) => setTimeout(r, 1_500)); // time for a second one, were there a second detector
    const incidents = await store.listIncidents({});
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident.component).toBe(`deployment:${PRIMARY}`);
    // The impact starts in the minute of the first failed request, which follows the fault within one
    // request of the traffic (a fault set just before a minute ends is first seen in the next one).
    const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
    expect([minuteOf(faultAtMs), minuteOf(faultAtMs + 2_000)]).toContain(incident.impactStart);
    expect(incident.openedAt).toBeGreaterThan(killedAtMs);
    // A survivor carries on from its own windows; the replacement, which watched none of the fault's
    // start, from the store's rollups.
    const newLeaderPid = await leaseHolderPid();
    if (newLeaderPid === replacement.pid) expect(replacement.output()).toContain('health windows seeded from the stored history');

    // Every live replica's breaker converges on open, the replacement's included (learned from the survivors).
    await vi.waitFor(async () => {
      for (const r of live) expect((await breakerOf(r)).state).toBe('open');
    }, { timeout: 15_000, interval: 200 });

    // The primary recovers: the new leader's recovery probe is answered and every replica closes, the
    // replacement included.
    sim.clearFaults();
    await vi.waitFor(async () => {
      for (const r of live) expect((await breakerOf(r)).state).toBe('closed');
    }, { timeout: 20_000, interval: 200 });

    await traffic.stop();
    // Every request was answered, by the fallback once the primary failed.
    expect(traffic.statuses.length).toBeGreaterThan(20);
    expect(traffic.statuses.filter((s) => s !== 200)).toEqual([]);

    // SIGTERM while Redis is down: the replica (the lease holder, which has the most to let go of) exits
    // cleanly within its drain timeout, without waiting on Redis commands or reconnects.
    const holderPid = await leaseHolderPid();
    await redis.kill();
    await new Promise((r) => setTimeout(r, 300)); // the replicas notice the connection is gone
    const stopping = live.find((r) => r.pid === holderPid) ?? live[0]!;
    const signalledAtMs = Date.now();
    stopping.child.kill('SIGTERM');
    const exit = await stopping.exit;
    expect(exit.code).toBe(0);
    expect(exit.atMs - signalledAtMs).toBeLessThan(DRAIN_TIMEOUT_MS);
  }, 120_000);
});
