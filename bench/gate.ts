/**
 * `npm run bench:gate`: the virtual-key gate alone, as `keel serve` builds it for keys from the config file
 * (bench-keys.ts): for each request, authenticate its `Authorization` header, admit it (model, budgets, the
 * requests- and tokens-per-minute buckets), write the answer's rate-limit headers and settle its usage
 * and spend. The bench's 1,000 keys are used in turn, as the HTTP `keys` cell uses them.
 *
 * Printed twice, in µs of wall time per keyed request (one thread, nothing waits) and by step:
 * - hot: requests back to back, the gate's code and every key's state in the CPU's caches (what
 *   `bench:pipeline -- --keys` sees, and what no loaded gateway sees);
 * - cold: 16 MiB of memory written before each request (untimed), which evicts the gate's code and data
 *   as the rest of a loaded gateway's work does between two requests of one key.
 * The HTTP `keys` cell reads a keyed request's cost under load; the cold figure is what the gate's own
 * code and data cost out of the caches, read without the ±3 % that separates two pairs of processes.
 *
 * With `--redis`, the keys' counters are shared through Redis as `cluster.redis_url` makes them: takes from
 * the replica's leases and spend copies, settled changes gathered for the next flush. The warm-up waits for
 * every key's first take and spend read (each a round trip); a measured request that still has to wait
 * for Redis is counted and reported, not timed.
 *
 *   npm run bench:gate
 *   npm run bench:gate -- --keys 1      # one key: what the cold figure owes to the keys' own state
 *   npm run bench:gate -- --redis       # counters in Redis (127.0.0.1:6379, or $KEEL_BENCH_REDIS_URL)
 */
import { parseArgs } from 'node:util';
import { RedisUsageCounters } from '../src/cluster/redis-usage-counters.js';
import type { RequestRecord } from '../src/router/router-types.js';
import { BENCH_KEY_COUNT, benchKeyGate, benchKeySecret } from './bench-keys.js';

const { values } = parseArgs({ options: { keys: { type: 'string', default: String(BENCH_KEY_COUNT) }, requests: { type: 'string', default: '5000' }, redis: { type: 'boolean', default: false } } });
const keyCount = Number(values.keys);
const requests = Number(values.requests);
if (!Number.isInteger(keyCount) || keyCount < 1 || keyCount > BENCH_KEY_COUNT) throw new Error(`--keys: expected 1 to ${BENCH_KEY_COUNT}, got "${values.keys}"`);
if (!Number.isInteger(requests) || requests < 100) throw new Error(`--requests: expected a whole number of at least 100, got "${values.requests}"`);

const EVICT_BYTES = 16 * 1024 * 1024; // past the last-level cache of the machines the bench runs on
const CACHE_LINE = 64;
const STEPS = ['authenticate', 'admit', 'headers', 'settle'] as const;

// The Redis the HTTP variants use (variants.ts): the README's local one unless KEEL_BENCH_REDIS_URL says.
const redisUrl = process.env['KEEL_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const shared = values.redis ? new RedisUsageCounters({ redis: redisUrl, prefix: `keel-bench-gate-${process.pid}` }) : undefined;
const gate = benchKeyGate(keyCount, shared);
const secrets = Array.from({ length: keyCount }, (_, i) => benchKeySecret(i));
/** The bench's request body as the gate reads it (its parsed JSON and size). */
const admission = { json: { model: 'bench', messages: [{ role: 'user', content: 'Hello, Keel' }], max_tokens: 16 }, bodyBytes: 70 };
/** What the router reports of an answered request: one attempt and its usage. */
const record = { attempts: [{ deployment: 'sim', usage: { inputTokens: 3, outputTokens: 7 } }] } as unknown as RequestRecord;
const evict = new Uint8Array(EVICT_BYTES);

let n = 0;
type Steps = Record<(typeof STEPS)[number], number>;
const noSteps = (): Steps => ({ authenticate: 0, admit: 0, headers: 0, settle: 0 });

/** One keyed request through the gate, each step's nanoseconds added to `into`. */
function oneRequest(into: Steps): Promise<void> | undefined {
  const headers = { authorization: `Bearer ${secrets[n++ % keyCount]!}`, 'content-type': 'application/json' }; // a fresh string, as node:http gives
  const t0 = process.hrtime.bigint();
  const caller = gate.authenticate(headers);
  const t1 = process.hrtime.bigint();
  const grant = gate.admit(caller, admission);
  if (grant instanceof Promise) {
    // A round trip to Redis (a key's first take or spend read): waited for, and left out of the figures.
    waited++;
    return grant.then((g) => g.settled(record));
  }
  const t2 = process.hrtime.bigint();
  const answerHeaders: Record<string, string> = { 'content-type': 'application/json' };
  grant.writeHeaders(answerHeaders);
  const t3 = process.hrtime.bigint();
  grant.settled(record);
  const t4 = process.hrtime.bigint();
  into.authenticate += Number(t1 - t0);
  into.admit += Number(t2 - t1);
  into.headers += Number(t3 - t2);
  into.settle += Number(t4 - t3);
  return undefined;
}
let waited = 0;

async function run(label: string, count: number, cold: boolean): Promise<void> {
  const ns = noSteps();
  waited = 0;
  for (let i = 0; i < count; i++) {
    if (cold) for (let at = 0; at < EVICT_BYTES; at += CACHE_LINE) evict[at] = i; // a write per line: each is fetched, then dirty
    const wait = oneRequest(ns);
    if (wait !== undefined) await wait; // only a round trip to Redis: no turn of the event loop per request
  }
  count -= waited;
  const us = (v: number): string => (v / count / 1000).toFixed(2);
  const total = STEPS.reduce((sum, step) => sum + ns[step], 0);
  const waits = waited === 0 ? '' : `; ${waited} waited for Redis, not timed`;
  console.log(`${label}: ${us(total)} µs per keyed request (${STEPS.map((step) => `${step} ${us(ns[step])}`).join(', ')}), ${keyCount} key${keyCount === 1 ? '' : 's'} in turn${shared === undefined ? '' : ', counters in Redis'}${waits}`);
}

try {
  // Before the connection is up, the counters fall back to local ones for a second: not what is measured.
  if (shared !== undefined && !(await shared.whenReady(5_000))) throw new Error(`bench:gate: Redis at ${redisUrl} is not reachable`);
  const warm = noSteps();
  for (let i = 0; i < 50_000; i++) {
    const wait = oneRequest(warm); // JIT tiers and every key's state made
    if (wait !== undefined) await wait;
  }
  await run('hot', requests * 20, false);
  await run('cold', requests, true);
} finally {
  await shared?.close();
}
