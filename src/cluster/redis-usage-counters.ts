/**
 * Per-key counters shared by every replica through Redis: the same token buckets and spend periods as
 * `MemoryUsageCounters`, each operation one Lua script so replicas never race between read and write. A
 * bucket is a hash (level, at) that expires once it would be full again plus a few idle minutes (a missing
 * bucket is a full one, so expiry loses nothing); spend is one float per key and UTC day (kept 2 days) or
 * month (kept 40 days). Times come from the caller's clock, as in memory; a bucket never refills backwards
 * when replicas' clocks disagree a little.
 *
 * Redis is not a single point of failure: a command fails fast (no offline queue, a short timeout), and
 * then this replica uses a local `MemoryUsageCounters` (limits hold per replica instead of per cluster),
 * counts it in `stats()`, and tries Redis again a second later or as soon as the connection is back.
 * Spend is always added to the local counters too, so while Redis is away a budget still sees what was
 * spent before (as rebuilt at start) and what this replica spent since.
 *
 * Cost on the request path (measured with `npm run bench:compare -- --variants redis`): a request with a
 * key used to make four round trips (spend read, take, token reconcile, spend add). Now it makes one on
 * the path (take, auto-pipelined with other requests' takes) and one after it (`charge`: reconcile and
 * spend in one script). A key's spend is read from Redis at most once a second and this replica's own
 * spend is added to that copy at once, so a budget sees other replicas' spend up to a second late: a
 * cluster can overshoot a budget by at most one second of its spend, which budgets in dollars per day
 * or month do not notice.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { MemoryUsageCounters, utcDay, utcMonth, type BucketAdjustment, type BucketAsk, type BucketState, type Spend, type TakeResult, type UsageCounters } from '../server/auth/usage-counters.js';
import { SHARED_REDIS_DEFAULTS, closeSharedRedis, openSharedRedis } from './redis-connection.js';

export const REDIS_COUNTERS_DEFAULTS = {
  // A bucket lives this long past the moment it would be full again: "a few minutes idle".
  bucketIdleMs: 180_000, // 3 min
  // Day spend is read for its own UTC day only; two days cover any replica's clock skew around midnight.
  dayTtlMs: 2 * 86_400_000, // 2 days
  monthTtlMs: 40 * 86_400_000, // 40 days
  // After a failed command, skip Redis this long, so a slow Redis costs one timeout a second, not one per request.
  retryAfterFailureMs: 1_000, // 1 s
  // Other replicas' spend is read this often per key; see the header for why a second is harmless.
  spendReadEveryMs: 1_000, // 1 s
} as const;

const MINUTE_MS = 60_000;
const SPEND_COPIES_MAX = 10_000; // keys whose spend copy is kept; past it the copies start afresh

// The level of bucket KEYS[i] now (refilled since `at`, never backwards); `level` is stored with full precision.
const LEVEL = `
local function level_of(key, per, now)
  local held = redis.call('HMGET', key, 'level', 'at')
  if not held[1] then return per, now end
  local at = tonumber(held[2])
  return math.min(per, tonumber(held[1]) + math.max(0, now - at) * per / 60000), math.max(at, now)
end
local function store(key, per, level, at, idle)
  redis.call('HSET', key, 'level', string.format('%.17g', level), 'at', string.format('%.17g', at))
  redis.call('PEXPIRE', key, math.ceil((per - level) * 60000 / per) + idle)
end
`;
// KEYS: buckets. ARGV: now, idleMs, then perMinute and cost of each bucket. Returns allowed, then each level.
const TAKE = `${LEVEL}
local now, idle = tonumber(ARGV[1]), tonumber(ARGV[2])
local levels, stamps, allowed = {}, {}, true
for i = 1, #KEYS do
  local per, cost = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  levels[i], stamps[i] = level_of(KEYS[i], per, now)
  if levels[i] < math.min(cost, per) then allowed = false end
end
local out = { allowed and 1 or 0 }
for i = 1, #KEYS do
  local per, cost = tonumber(ARGV[1 + 2 * i]), tonumber(ARGV[2 + 2 * i])
  if allowed then
    levels[i] = levels[i] - cost
    store(KEYS[i], per, levels[i], stamps[i], idle)
  end
  out[i + 1] = string.format('%.17g', levels[i])
end
return out`;
// KEYS: bucket. ARGV: now, idleMs, perMinute, amount.
const ADJUST = `${LEVEL}
local now, idle, per = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local level, at = level_of(KEYS[1], per, now)
store(KEYS[1], per, math.min(per, level - tonumber(ARGV[4])), at, idle)
return 1`;
// A finished request: spend to its day and month, then optionally its token bucket reconciled.
// KEYS: day, month[, bucket]. ARGV: now, idleMs, usd, dayTtlMs, monthTtlMs[, perMinute, amount].
const CHARGE = `${LEVEL}
local now, idle = tonumber(ARGV[1]), tonumber(ARGV[2])
if tonumber(ARGV[3]) > 0 then
  redis.call('INCRBYFLOAT', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('INCRBYFLOAT', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
if #KEYS == 3 then
  local per = tonumber(ARGV[6])
  local level, at = level_of(KEYS[3], per, now)
  store(KEYS[3], per, math.min(per, level - tonumber(ARGV[7])), at, idle)
end
return 1`;
// Seeds spend rebuilt from the store where Redis has none yet; where it has, Redis is the running total.
// KEYS: day, month. ARGV: dayUsd, monthUsd, dayTtlMs, monthTtlMs.
const SEED_SPEND = `
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[4])
return 1`;

interface Scripts {
  keelTake(keys: number, ...args: (string | number)[]): Promise<string[] | [number, ...string[]]>;
  keelAdjust(key: string, ...args: (string | number)[]): Promise<number>;
  keelSeedSpend(day: string, month: string, ...args: (string | number)[]): Promise<number>;
  keelCharge(keys: number, ...args: (string | number)[]): Promise<number>;
}

/** A key's spend as last read from Redis, plus what this replica spent since. */
interface SpendCopy extends Spend {
  day: string;
  month: string;
  readAtMs: number;
}

export interface RedisUsageCountersOptions {
  redis: string | RedisOptions;
  /** Namespace of the keys (default `keel`). */
  prefix?: string;
  commandTimeoutMs?: number;
  /** How often a key's spend is re-read from Redis (default `REDIS_COUNTERS_DEFAULTS.spendReadEveryMs`). */
  spendReadEveryMs?: number;
  /** Redis became unreachable or too slow (once per episode). */
  onDegraded?: (err: Error) => void;
  onRecovered?: () => void;
}

export interface RedisUsageCountersStats {
  healthy: boolean;
  /** Operations answered by the local counters because Redis could not be used. */
  fallbacks: number;
  failures: number;
  degradedEpisodes: number;
  lastError: string | undefined;
}

export class RedisUsageCounters implements UsageCounters {
  private readonly redis: Redis;
  private readonly scripts: Scripts;
  private readonly local = new MemoryUsageCounters();
  private readonly prefix: string;
  private readonly counts = { fallbacks: 0, failures: 0, degradedEpisodes: 0 };
  private skipUntilMs = 0;
  private degraded = false;
  private lastError: Error | undefined;
  private readonly spendCopies = new Map<string, SpendCopy>();

  constructor(private readonly options: RedisUsageCountersOptions) {
    this.prefix = options.prefix ?? SHARED_REDIS_DEFAULTS.prefix;
    this.redis = openSharedRedis(options.redis, {
      name: 'keel-counters',
      // Concurrent requests' takes leave in one write instead of one each.
      autoPipelining: true,
      ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
      onConnectionError: (err) => void (this.lastError = err),
    });
    this.redis.defineCommand('keelTake', { lua: TAKE });
    this.redis.defineCommand('keelAdjust', { numberOfKeys: 1, lua: ADJUST });
    this.redis.defineCommand('keelSeedSpend', { numberOfKeys: 2, lua: SEED_SPEND });
    this.redis.defineCommand('keelCharge', { lua: CHARGE });
    this.scripts = this.redis as unknown as Scripts;
    // A reconnect ends any wait: the next operation goes to Redis again.
    this.redis.on('ready', () => void (this.skipUntilMs = 0));
  }

  async take(asks: BucketAsk[], nowMs: number): Promise<TakeResult> {
    if (asks.length === 0) return { allowed: true, buckets: [] };
    return this.run(async () => {
      const args = asks.flatMap((a) => [String(a.perMinute), String(a.cost)]);
      const reply = await this.scripts.keelTake(asks.length, ...asks.map((a) => this.bucketKey(a.id)), String(nowMs), String(REDIS_COUNTERS_DEFAULTS.bucketIdleMs), ...args);
      const allowed = Number(reply[0]) === 1;
      return { allowed, buckets: asks.map((ask, i) => bucketState(ask, Number(reply[i + 1]), allowed)) };
    }, () => this.local.take(asks, nowMs));
  }

  async adjust(id: string, perMinute: number, amount: number, nowMs: number): Promise<void> {
    await this.run(
      async () => void (await this.scripts.keelAdjust(this.bucketKey(id), String(nowMs), String(REDIS_COUNTERS_DEFAULTS.bucketIdleMs), String(perMinute), String(amount))),
      () => this.local.adjust(id, perMinute, amount, nowMs),
    );
  }

  addSpend(keyId: string, usd: number, atMs: number): Promise<void> {
    return this.charge(keyId, undefined, usd, atMs);
  }

  async charge(keyId: string, tokens: BucketAdjustment | undefined, usd: number, nowMs: number): Promise<void> {
    const spent = usd > 0 ? usd : 0;
    if (spent > 0) {
      await this.local.addSpend(keyId, spent, nowMs);
      this.addToCopy(keyId, spent, nowMs);
    } else if (tokens === undefined) return;
    const { dayTtlMs, monthTtlMs, bucketIdleMs } = REDIS_COUNTERS_DEFAULTS;
    const keys = [this.dayKey(keyId, nowMs), this.monthKey(keyId, nowMs), ...(tokens === undefined ? [] : [this.bucketKey(tokens.id)])];
    const args = [String(nowMs), String(bucketIdleMs), String(spent), String(dayTtlMs), String(monthTtlMs), ...(tokens === undefined ? [] : [String(tokens.perMinute), String(tokens.amount)])];
    await this.run(
      async () => void (await this.scripts.keelCharge(keys.length, ...keys, ...args)),
      async () => (tokens === undefined ? undefined : this.local.adjust(tokens.id, tokens.perMinute, tokens.amount, nowMs)),
    );
  }

  async spend(keyId: string, nowMs: number): Promise<Spend> {
    const day = utcDay(nowMs);
    const month = utcMonth(nowMs);
    const copy = this.spendCopies.get(keyId);
    if (copy !== undefined && copy.day === day && copy.month === month && Date.now() - copy.readAtMs < (this.options.spendReadEveryMs ?? REDIS_COUNTERS_DEFAULTS.spendReadEveryMs)) {
      return { dayUsd: copy.dayUsd, monthUsd: copy.monthUsd };
    }
    return this.run(async () => {
      const [dayUsd, monthUsd] = (await this.redis.mget(this.dayKey(keyId, nowMs), this.monthKey(keyId, nowMs))).map((v) => Number(v ?? 0)) as [number, number];
      if (this.spendCopies.size >= SPEND_COPIES_MAX) this.spendCopies.clear(); // bounded: a re-read costs one round trip
      this.spendCopies.set(keyId, { day, month, dayUsd, monthUsd, readAtMs: Date.now() });
      return { dayUsd, monthUsd };
    }, () => this.local.spend(keyId, nowMs));
  }

  /** This replica's own spend shows in its copy at once; other replicas' within `spendReadEveryMs`. */
  private addToCopy(keyId: string, usd: number, atMs: number): void {
    const copy = this.spendCopies.get(keyId);
    if (copy === undefined) return;
    if (copy.day === utcDay(atMs)) copy.dayUsd += usd;
    if (copy.month === utcMonth(atMs)) copy.monthUsd += usd;
  }

  /**
   * Counters for `SpendLedger.rebuild` at start: it adds the month's persisted spend, which every replica
   * would otherwise add to Redis again. This collects it locally, and `commit` writes it to Redis only
   * where Redis holds no spend for that key and period yet.
   */
  spendSeed(): UsageCounters & { commit(nowMs: number): Promise<void> } {
    const rebuilt: { keyId: string; usd: number; atMs: number }[] = [];
    const counters = this;
    return {
      take: (asks, nowMs) => counters.take(asks, nowMs),
      adjust: (id, perMinute, amount, nowMs) => counters.adjust(id, perMinute, amount, nowMs),
      spend: (keyId, nowMs) => counters.spend(keyId, nowMs),
      charge: (keyId, tokens, usd, nowMs) => counters.charge(keyId, tokens, usd, nowMs),
      async addSpend(keyId, usd, atMs) {
        await counters.local.addSpend(keyId, usd, atMs);
        rebuilt.push({ keyId, usd, atMs });
      },
      async commit(nowMs) {
        const totals = new Map<string, { dayUsd: number; monthUsd: number }>();
        for (const { keyId, usd, atMs } of rebuilt) {
          const total = totals.get(keyId) ?? { dayUsd: 0, monthUsd: 0 };
          if (utcDay(atMs) === utcDay(nowMs)) total.dayUsd += usd;
          if (utcMonth(atMs) === utcMonth(nowMs)) total.monthUsd += usd;
          totals.set(keyId, total);
        }
        if (totals.size === 0 || !(await counters.whenReady(2_000))) return;
        const { dayTtlMs, monthTtlMs } = REDIS_COUNTERS_DEFAULTS;
        for (const [keyId, { dayUsd, monthUsd }] of totals) {
          await counters.run(
            async () => void (await counters.scripts.keelSeedSpend(counters.dayKey(keyId, nowMs), counters.monthKey(keyId, nowMs), String(dayUsd), String(monthUsd), String(dayTtlMs), String(monthTtlMs))),
            async () => undefined,
          );
        }
      },
    };
  }

  /** Waits up to `timeoutMs` for the connection; true when Redis can be used. */
  async whenReady(timeoutMs: number): Promise<boolean> {
    if (this.redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.redis.once('ready', onReady);
    });
  }

  stats(): RedisUsageCountersStats {
    return { healthy: !this.degraded && this.redis.status === 'ready', ...this.counts, lastError: this.lastError?.message };
  }

  async close(): Promise<void> {
    await closeSharedRedis(this.redis);
  }

  private async run<T>(remote: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (this.redis.status === 'ready' && Date.now() >= this.skipUntilMs) {
      try {
        const value = await remote();
        if (this.degraded) {
          this.degraded = false;
          this.options.onRecovered?.();
        }
        return value;
      } catch (err) {
        this.fail(err);
      }
    } else if (!this.degraded) {
      this.fail(this.lastError ?? new Error(`redis connection ${this.redis.status}`));
    }
    this.counts.fallbacks++;
    return local();
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.counts.failures++;
    this.lastError = error;
    this.skipUntilMs = Date.now() + REDIS_COUNTERS_DEFAULTS.retryAfterFailureMs;
    if (this.degraded) return;
    this.degraded = true;
    this.counts.degradedEpisodes++;
    this.options.onDegraded?.(error);
  }

  private bucketKey(id: string): string {
    return `${this.prefix}:bucket:${id}`;
  }

  private dayKey(keyId: string, atMs: number): string {
    return `${this.prefix}:spend:${keyId}:${utcDay(atMs)}`;
  }

  private monthKey(keyId: string, atMs: number): string {
    return `${this.prefix}:spend:${keyId}:${utcMonth(atMs)}`;
  }
}

/** What a caller learns about one bucket, computed exactly as `MemoryUsageCounters` does. */
function bucketState(ask: BucketAsk, level: number, allowed: boolean): BucketState {
  const ratePerMs = ask.perMinute / MINUTE_MS;
  const missing = allowed ? 0 : Math.max(0, Math.min(ask.cost, ask.perMinute) - level);
  return {
    id: ask.id,
    limit: ask.perMinute,
    remaining: Math.max(0, Math.floor(level)),
    resetMs: Math.ceil((ask.perMinute - level) / ratePerMs),
    retryAfterMs: Math.ceil(missing / ratePerMs),
  };
}
