/**
 * Per-key counters behind one small interface: token buckets for requests and tokens per minute, and spend
 * per UTC day and month. One instance keeps them in memory (`MemoryUsageCounters`); several instances will
 * share them through Redis with the same interface (each method is one atomic step there: a Lua script),
 * which is why a method may answer with a promise. Each answers at once when it can (in memory always), so
 * a keyed request awaits nothing it need not.
 *
 * A bucket holds up to `perMinute` and refills continuously at `perMinute` per minute, so a burst of a
 * whole minute's allowance is allowed and the long-run rate is the limit. A cost larger than the whole
 * allowance (one huge prompt against a small TPM) is admitted when the bucket is full and leaves it in
 * debt, rather than never: the average rate still holds.
 */

export interface BucketAsk {
  /** e.g. `key_ab12:rpm`. */
  id: string;
  perMinute: number;
  cost: number;
}

export interface BucketState {
  id: string;
  limit: number;
  /** What is left after this request (never below 0 as reported). */
  remaining: number;
  /** Until the bucket is full again. */
  resetMs: number;
  /** Until this cost could be afforded; 0 when it was. */
  retryAfterMs: number;
}

export interface TakeResult {
  allowed: boolean;
  buckets: BucketState[];
}

export interface Spend {
  dayUsd: number;
  monthUsd: number;
}

/** A value at once, or a promise of it when it must wait (a round trip to Redis). */
export type MaybePromise<T> = T | Promise<T>;

export interface UsageCounters {
  /** Takes each ask's cost from its bucket if every bucket can afford it, else takes nothing. */
  take(asks: readonly BucketAsk[], nowMs: number): MaybePromise<TakeResult>;
  /** Takes more (positive) or gives back (negative) without a check: an estimate reconciled with usage. */
  adjust(id: string, perMinute: number, amount: number, nowMs: number): MaybePromise<void>;
  /** Adds spend to the UTC day and month of `atMs` (spend for a period already past is dropped). */
  addSpend(keyId: string, usd: number, atMs: number): MaybePromise<void>;
  spend(keyId: string, nowMs: number): MaybePromise<Spend>;
  /**
   * What a finished request settles in one step: its token estimate reconciled with usage (`tokens`,
   * as `adjust`) and its spend (as `addSpend`). One round trip in Redis instead of two per request.
   * Never rejects: a settlement that cannot reach shared counters is applied to local ones instead.
   */
  charge(keyId: string, tokens: BucketAdjustment | undefined, usd: number, nowMs: number): MaybePromise<void>;
}

export interface BucketAdjustment {
  id: string;
  perMinute: number;
  /** Positive takes more, negative gives back. */
  amount: number;
}

/**
 * A UTC period's name for a time, remembered for the period it falls in: keyed requests ask for the day
 * and month several times each, and formatting a Date is the costly part (seen in the bench's profile).
 */
function periodNamer(length: 7 | 10, nextStart: (d: Date) => number): (ms: number) => string {
  let start = 0;
  let end = -1;
  let name = '';
  return (ms) => {
    if (ms >= start && ms < end) return name;
    const d = new Date(ms);
    name = d.toISOString().slice(0, length);
    start = Date.parse(length === 10 ? `${name}T00:00:00Z` : `${name}-01T00:00:00Z`);
    end = nextStart(d);
    return name;
  };
}

/** The start of the UTC day, or month, after the one `d` falls in. */
export const nextUtcDay = (d: Date): number => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
export const nextUtcMonth = (d: Date): number => Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);

export const utcDay = periodNamer(10, nextUtcDay);
export const utcMonth = periodNamer(7, nextUtcMonth);

interface Bucket {
  level: number;
  atMs: number;
}

interface SpendPeriods {
  day: string;
  dayUsd: number;
  month: string;
  monthUsd: number;
}

const MINUTE_MS = 60_000;

export class MemoryUsageCounters implements UsageCounters {
  private readonly buckets = new Map<string, Bucket>();
  private readonly spends = new Map<string, SpendPeriods>();
  private readonly held: Array<Bucket | undefined> = [];
  private readonly levels: number[] = [];

  take(asks: readonly BucketAsk[], nowMs: number): TakeResult {
    // Each bucket is looked up once (with many keys its entry is rarely still in cache), and held in
    // arrays reused by every take: it never waits, so no two takes share them.
    const held = this.held;
    const levels = this.levels;
    let allowed = true;
    for (let i = 0; i < asks.length; i++) {
      const ask = asks[i]!;
      const bucket = this.buckets.get(ask.id);
      const level = levelOf(bucket, ask.perMinute, nowMs);
      held[i] = bucket;
      levels[i] = level;
      if (level < Math.min(ask.cost, ask.perMinute)) allowed = false;
    }
    const buckets = new Array<BucketState>(asks.length); // its exact length: a push would allocate room for 17
    for (let i = 0; i < asks.length; i++) {
      const ask = asks[i]!;
      const level = allowed ? levels[i]! - ask.cost : levels[i]!;
      if (allowed) this.store(ask.id, held[i], level, nowMs);
      buckets[i] = bucketState(ask, level, allowed);
      held[i] = undefined; // not kept alive until the next take
    }
    return { allowed, buckets };
  }

  /** Keeps a bucket's level, reusing its record (a busy key's bucket is written on every request). */
  private store(id: string, bucket: Bucket | undefined, level: number, atMs: number): void {
    if (bucket === undefined) this.buckets.set(id, { level, atMs });
    else {
      bucket.level = level;
      bucket.atMs = atMs;
    }
  }

  adjust(id: string, perMinute: number, amount: number, nowMs: number): void {
    const bucket = this.buckets.get(id);
    this.store(id, bucket, Math.min(perMinute, levelOf(bucket, perMinute, nowMs) - amount), nowMs);
  }

  addSpend(keyId: string, usd: number, atMs: number): void {
    const day = utcDay(atMs);
    const month = utcMonth(atMs);
    let current = this.spends.get(keyId);
    if (current === undefined) this.spends.set(keyId, (current = { day, dayUsd: 0, month, monthUsd: 0 }));
    // ISO dates compare as strings: an older period is history, a newer one starts from zero.
    if (day > current.day) Object.assign(current, { day, dayUsd: 0 });
    if (month > current.month) Object.assign(current, { month, monthUsd: 0 });
    if (day === current.day) current.dayUsd += usd;
    if (month === current.month) current.monthUsd += usd;
  }

  charge(keyId: string, tokens: BucketAdjustment | undefined, usd: number, nowMs: number): void {
    if (tokens !== undefined) this.adjust(tokens.id, tokens.perMinute, tokens.amount, nowMs);
    if (usd > 0) this.addSpend(keyId, usd, nowMs);
  }

  spend(keyId: string, nowMs: number): Spend {
    const current = this.spends.get(keyId);
    if (current === undefined) return { dayUsd: 0, monthUsd: 0 };
    return {
      dayUsd: current.day === utcDay(nowMs) ? current.dayUsd : 0,
      monthUsd: current.month === utcMonth(nowMs) ? current.monthUsd : 0,
    };
  }
}

/** A bucket's level now: what it held, refilled for the time since, up to the limit (full when new). */
function levelOf(bucket: Bucket | undefined, perMinute: number, nowMs: number): number {
  if (bucket === undefined) return perMinute;
  const refilled = bucket.level + ((nowMs - bucket.atMs) * perMinute) / MINUTE_MS;
  return Math.min(perMinute, refilled);
}

/** What a caller learns about one bucket at `level` (after the take when it was allowed). */
export function bucketState(ask: BucketAsk, level: number, allowed: boolean): BucketState {
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
