/**
 * Per-key counters shared by every replica through Redis: the same token buckets and spend periods as
 * `MemoryUsageCounters` (the scripts are in `redis-counter-scripts.ts`).
 *
 * Redis is not a single point of failure: a command fails fast (no offline queue, a short timeout), and
 * then this replica uses a local `MemoryUsageCounters` (limits hold per replica instead of per cluster),
 * counts it in `stats()`, and tries Redis again a second later or as soon as the connection is back.
 * Spend is always added to the local counters too (once per batch, as it leaves), so while Redis is away a
 * budget still sees what was spent before (as rebuilt at start) and what this replica spent since.
 *
 * What stays off the request path (measured with `npm run bench:compare -- --variants redis`):
 * - Takes are served from leases (`bucket-leases.ts`): a take that must go to Redis asks for 1% of the
 *   bucket more, and the next takes of that bucket are admitted here until it runs out. Near a limit, and
 *   for small limits, every take is one atomic script in Redis, as without leases. The cluster never
 *   admits more than a bucket allows; a replica's unused lease goes back after 10 idle seconds.
 * - What a finished request settles (its token estimate reconciled with usage, its spend) and leases
 *   given back are gathered and sent together every `flushEveryMs` (1 s) as one script, whose answer
 *   also refreshes this replica's view of the buckets and spend it touched. A batch holds one entry per
 *   key, whatever its requests: at 100 ms, with 1,000 keys in turn, nearly every request was an entry of
 *   its own (and about 30 µs of Keel's CPU); at 1 s a busy key's requests share one.
 * - A key's spend is read from Redis on its first use (its concurrent requests share the read); after
 *   that, a copy older than `spendReadEveryMs` is still used while the next flush refreshes it. This
 *   replica's own spend is added to the copy at once, so a budget sees other replicas' spend within about
 *   two seconds: a cluster can overshoot a budget by about two seconds of its spend, which budgets in
 *   dollars per day or month do not notice.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { MemoryUsageCounters, utcDay, utcMonth, type BucketAdjustment, type BucketAsk, type MaybePromise, type Spend, type TakeResult, type UsageCounters } from '../server/auth/usage-counters.js';
import { BucketLeases, type BucketDelta } from './bucket-leases.js';
import { defineCounterScripts, type CounterScripts } from './redis-counter-scripts.js';
import { RedisFallback } from './redis-fallback.js';
import { SettleBatch, type PendingSpend } from './settle-batch.js';
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
  // Settled changes leave together this often: off the path, and late by at most this much.
  flushEveryMs: 1_000, // 1 s
} as const;

const SPEND_COPIES_MAX = 10_000; // keys whose spend copy is kept; past it the copies start afresh

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
  /** Default `REDIS_COUNTERS_DEFAULTS.flushEveryMs`. */
  flushEveryMs?: number;
  /** Leases: the share of a bucket's minute leased at once, and how long an unused lease is kept. */
  leases?: { fraction?: number; idleMs?: number };
  /** The clock of leases given back when idle (default `Date.now`). */
  nowMs?: () => number;
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
  /** Takes admitted from this replica's leases, without a round trip. */
  leasedTakes: number;
  /** Batches of settled changes sent to Redis. */
  flushes: number;
  /** Round trips that read a key's spend on its first use (concurrent first uses share one). */
  spendReads: number;
  lastError: string | undefined;
}

export class RedisUsageCounters implements UsageCounters {
  private readonly redis: Redis;
  private readonly scripts: CounterScripts;
  private readonly local = new MemoryUsageCounters();
  private readonly leases: BucketLeases;
  private readonly prefix: string;
  private readonly nowMs: () => number;
  private readonly counts = { leasedTakes: 0, flushes: 0, spendReads: 0 };
  private readonly fallback: RedisFallback;
  private readonly spendCopies = new Map<string, SpendCopy>();
  /** First-use reads on their way: the requests of a key first seen together share one round trip. */
  private readonly spendReadsOnTheirWay = new Map<string, Promise<Spend>>();
  private readonly batch: SettleBatch;
  private readonly leasesOnTheirWay = new Map<string, Promise<unknown>>();
  private readonly releaseTimer: NodeJS.Timeout;

  constructor(private readonly options: RedisUsageCountersOptions) {
    this.prefix = options.prefix ?? SHARED_REDIS_DEFAULTS.prefix;
    this.nowMs = options.nowMs ?? Date.now;
    this.leases = new BucketLeases(options.leases);
    this.batch = new SettleBatch(options.flushEveryMs ?? REDIS_COUNTERS_DEFAULTS.flushEveryMs, () => void this.flush());
    this.redis = openSharedRedis(options.redis, {
      name: 'keel-counters',
      // Concurrent requests' takes leave in one write instead of one each.
      autoPipelining: true,
      ...(options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: options.commandTimeoutMs }),
      onConnectionError: (err) => void (this.fallback.lastError = err),
    });
    this.scripts = defineCounterScripts(this.redis);
    this.fallback = new RedisFallback(this.redis, { retryAfterFailureMs: REDIS_COUNTERS_DEFAULTS.retryAfterFailureMs, onDegraded: options.onDegraded, onRecovered: options.onRecovered });
    // A reconnect ends any wait: the next operation goes to Redis again.
    this.redis.on('ready', () => this.fallback.retryNow());
    this.releaseTimer = setInterval(() => this.giveBack(this.leases.release(this.nowMs())), Math.max(100, this.leases.idleMs / 2));
    this.releaseTimer.unref();
  }

  /** At once from a lease; a promise when Redis must be asked (or a lease on its way waited for). */
  take(asks: readonly BucketAsk[], nowMs: number): MaybePromise<TakeResult> {
    if (asks.length === 0) return { allowed: true, buckets: [] };
    const wait = this.leaseOnItsWay(asks);
    const leased = this.leases.tryTake(asks, nowMs);
    if (leased !== undefined) {
      this.counts.leasedTakes++;
      return leased;
    }
    return this.takeFromRedis(asks, nowMs, wait);
  }

  private async takeFromRedis(asks: readonly BucketAsk[], nowMs: number, firstWait: Promise<unknown> | undefined): Promise<TakeResult> {
    // A take that finds a lease on its way for one of its buckets waits for it (twice at most) rather than
    // going to Redis too.
    for (let waits = 1, wait = firstWait; wait !== undefined; waits++) {
      await wait;
      wait = waits < 2 ? this.leaseOnItsWay(asks) : undefined;
      const leased = this.leases.tryTake(asks, nowMs);
      if (leased !== undefined) {
        this.counts.leasedTakes++;
        return leased;
      }
    }
    return this.fallback.run(async () => {
      const keys: string[] = [];
      const args: (string | number)[] = [String(nowMs), String(REDIS_COUNTERS_DEFAULTS.bucketIdleMs)];
      const leasing: string[] = [];
      for (const ask of asks) {
        const lease = this.leases.leaseFor(ask);
        if (lease > 0) leasing.push(ask.id);
        keys.push(this.bucketKey(ask.id));
        args.push(String(ask.perMinute), String(ask.cost), String(lease));
      }
      const reply = this.scripts.keelTake(asks.length, ...keys, ...args);
      for (const id of leasing) this.leasesOnTheirWay.set(id, reply);
      try {
        const answer = await reply;
        const n = asks.length;
        return this.leases.granted(asks, Number(answer[0]) === 1, answer.slice(1, n + 1).map(Number), answer.slice(n + 1).map(Number), nowMs);
      } finally {
        this.leases.done(asks);
        for (const id of leasing) this.leasesOnTheirWay.delete(id);
      }
    }, async () => this.local.take(asks, nowMs));
  }

  private leaseOnItsWay(asks: readonly BucketAsk[]): Promise<unknown> | undefined {
    if (this.leasesOnTheirWay.size === 0) return undefined;
    for (const ask of asks) {
      const reply = this.leasesOnTheirWay.get(ask.id);
      if (reply !== undefined) return reply.catch(() => undefined);
    }
    return undefined;
  }

  /** Settled against this replica's lease first; the rest reaches Redis with the next flush. */
  adjust(id: string, perMinute: number, amount: number, nowMs: number): MaybePromise<void> {
    if (!this.queueBucket(id, perMinute, amount, nowMs)) return undefined;
    return this.batch.wait();
  }

  addSpend(keyId: string, usd: number, atMs: number): MaybePromise<void> {
    return this.charge(keyId, undefined, usd, atMs);
  }

  /** Queued at once; the promise resolves once Redis holds the change (or, Redis away, the local counters do). */
  charge(keyId: string, tokens: BucketAdjustment | undefined, usd: number, nowMs: number): MaybePromise<void> {
    let queued = false;
    if (usd > 0) {
      this.addToCopy(keyId, usd, nowMs);
      this.queueSpend(keyId, usd, nowMs); // and to the local counters when the batch leaves (see `flush`)
      queued = true;
    }
    if (tokens !== undefined && this.queueBucket(tokens.id, tokens.perMinute, tokens.amount, nowMs)) queued = true;
    return queued ? this.batch.wait() : undefined;
  }

  /** At once from this replica's copy; a round trip on a key's first use (shared by its concurrent requests). */
  spend(keyId: string, nowMs: number): MaybePromise<Spend> {
    const day = utcDay(nowMs);
    const month = utcMonth(nowMs);
    const copy = this.spendCopies.get(keyId);
    if (copy !== undefined && copy.day === day && copy.month === month) {
      // A copy past its age is still used while the next flush refreshes it.
      if (Date.now() - copy.readAtMs >= (this.options.spendReadEveryMs ?? REDIS_COUNTERS_DEFAULTS.spendReadEveryMs) && this.fallback.usable()) {
        this.queueSpend(keyId, 0, nowMs);
        this.batch.schedule();
      }
      return { dayUsd: copy.dayUsd, monthUsd: copy.monthUsd };
    }
    const reading = this.spendReadsOnTheirWay.get(keyId);
    if (reading !== undefined) return reading;
    const read = this.fallback.run(async () => {
      this.counts.spendReads++;
      const [dayUsd, monthUsd] = (await this.redis.mget(this.dayKey(keyId, nowMs), this.monthKey(keyId, nowMs))).map((v) => Number(v ?? 0)) as [number, number];
      if (this.spendCopies.size >= SPEND_COPIES_MAX) this.spendCopies.clear(); // bounded: a re-read costs one round trip
      this.spendCopies.set(keyId, { day, month, dayUsd, monthUsd, readAtMs: Date.now() });
      return { dayUsd, monthUsd };
    }, async () => this.local.spend(keyId, nowMs)).finally(() => this.spendReadsOnTheirWay.delete(keyId));
    this.spendReadsOnTheirWay.set(keyId, read);
    return read;
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
          await counters.fallback.run(
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
    return { healthy: this.fallback.healthy, ...this.fallback.counts, ...this.counts, lastError: this.fallback.lastError?.message };
  }

  /** Gives back every lease and sends what is settled, then closes the connection. */
  async close(): Promise<void> {
    clearInterval(this.releaseTimer);
    this.giveBack(this.leases.release(this.nowMs(), true));
    await this.flush();
    await closeSharedRedis(this.redis);
  }

  /** Queues a bucket change that the lease could not absorb; false when nothing is left for Redis. */
  private queueBucket(id: string, perMinute: number, amount: number, nowMs: number): boolean {
    const rest = this.leases.settle(id, perMinute, amount, nowMs);
    if (rest !== 0) this.batch.addBucket({ id, perMinute, amount: rest }, nowMs);
    return rest !== 0;
  }

  private queueSpend(keyId: string, usd: number, atMs: number): void {
    this.batch.addSpend(keyId, utcDay(atMs), utcMonth(atMs), atMs, usd);
  }

  private giveBack(deltas: BucketDelta[]): void {
    const nowMs = this.nowMs();
    for (const delta of deltas) this.batch.addBucket(delta, nowMs);
    if (deltas.length > 0) this.batch.schedule();
  }

  /** Sends every queued change as one script; its answer refreshes the leases' levels and the spend copies. */
  private async flush(): Promise<void> {
    const { buckets, spends, atMs, sent } = this.batch.drain();
    try {
      if (buckets.length === 0 && spends.length === 0) return;
      // The local counters learn each key's spend once per batch, not once per request: they answer only
      // while Redis is away, and this flush (sent or failed over) runs within `flushEveryMs` of the spend.
      for (const s of spends) if (s.usd > 0) this.local.addSpend(s.keyId, s.usd, s.atMs);
      const { bucketIdleMs, dayTtlMs, monthTtlMs } = REDIS_COUNTERS_DEFAULTS;
      const keys = buckets.map((b) => this.bucketKey(b.id));
      const args: string[] = [String(atMs), String(bucketIdleMs), String(buckets.length), String(dayTtlMs), String(monthTtlMs)];
      for (const b of buckets) args.push(String(b.perMinute), String(b.amount));
      for (const s of spends) {
        keys.push(this.dayKey(s.keyId, s.atMs), this.monthKey(s.keyId, s.atMs));
        args.push(String(s.usd));
      }
      this.counts.flushes++;
      await this.fallback.run(
        async () => this.observe(buckets, spends, await this.scripts.keelFlush(keys.length, ...keys, ...args), atMs),
        async () => {
          for (const b of buckets) this.local.adjust(b.id, b.perMinute, b.amount, atMs);
        },
      );
    } finally {
      sent(); // whatever happened, the waits end: a charge never rejects nor hangs (see UsageCounters)
    }
  }

  private observe(buckets: BucketDelta[], spends: PendingSpend[], reply: string[], atMs: number): void {
    buckets.forEach((b, i) => this.leases.observed(b.id, b.perMinute, Number(reply[i]), this.batch.bucketAmount(b.id), atMs));
    const readAtMs = Date.now();
    spends.forEach((s, j) => {
      const copy = this.spendCopies.get(s.keyId);
      if (copy === undefined || copy.day !== s.day || copy.month !== s.month) return;
      // Spend queued since this flush left is in the copy already and not yet in Redis.
      const since = this.batch.spendUsd(s.keyId, s.day);
      copy.dayUsd = Number(reply[buckets.length + 2 * j]) + since;
      copy.monthUsd = Number(reply[buckets.length + 2 * j + 1]) + since;
      copy.readAtMs = readAtMs;
    });
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
