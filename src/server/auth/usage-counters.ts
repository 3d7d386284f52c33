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
  /** Where in-memory counters may keep this bucket (see `CounterCell`). */
  cell?: BucketCell;
}

/**
 * A key's state kept where its caller can reach it without a lookup: the gate makes one cell per bucket
 * and one for the spend of each key, once, and passes them with every request of the key. In-memory
 * counters keep the key's state in those very objects (their maps hold the same objects, so a call by id
 * alone sees the same state), and a keyed request then reaches its buckets and spend in one step each.
 * With a thousand keys in use, a lookup by id is a cache miss or two per map: the gate alone, cold, went
 * from 2.4 to 2.0 µs per request with cells. Counters kept elsewhere (Redis) ignore cells.
 *
 * `holder` says whose map holds the cell: `undefined` for a new cell, which the first counters to store
 * that bucket adopt; `RETIRED` for one another cell replaced (a key changed while a request of its old
 * record was in flight), which is never adopted again, so such a request finds the state by id.
 */
export interface CounterCell {
  holder: unknown;
}

export const RETIRED: unique symbol = Symbol('retired');

export interface BucketCell extends CounterCell {
  level: number;
  atMs: number;
}

export interface SpendCell extends CounterCell {
  day: string;
  dayUsd: number;
  month: string;
  monthUsd: number;
}

/**
 * A bucket cell whose two numbers live in a Float64Array, side by side with the rest of its key's (see
 * `KeyCells`). As plain fields, every level and time a keyed request writes was a new heap number of its
 * own, scattered through memory and recorded by the collector's write barrier: with 1,000 keys in turn,
 * each key's state was a dozen cold cache lines by the time its next request came.
 */
class NumbersBucketCell implements BucketCell {
  holder: unknown = undefined;
  readonly #numbers: Float64Array;
  readonly #at: number;

  constructor(numbers: Float64Array, at: number) {
    this.#numbers = numbers;
    this.#at = at;
  }

  get level(): number {
    return this.#numbers[this.#at]!;
  }

  set level(value: number) {
    this.#numbers[this.#at] = value;
  }

  get atMs(): number {
    return this.#numbers[this.#at + 1]!;
  }

  set atMs(value: number) {
    this.#numbers[this.#at + 1] = value;
  }
}

/** A spend cell whose two sums live in a Float64Array (see `NumbersBucketCell`); its periods are strings. */
class NumbersSpendCell implements SpendCell {
  holder: unknown = undefined;
  day = '';
  month = '';
  readonly #numbers: Float64Array;
  readonly #at: number;

  constructor(numbers: Float64Array, at: number) {
    this.#numbers = numbers;
    this.#at = at;
  }

  get dayUsd(): number {
    return this.#numbers[this.#at]!;
  }

  set dayUsd(value: number) {
    this.#numbers[this.#at] = value;
  }

  get monthUsd(): number {
    return this.#numbers[this.#at + 1]!;
  }

  set monthUsd(value: number) {
    this.#numbers[this.#at + 1] = value;
  }
}

/** The cells of one key, its two buckets' and its spend's numbers in one array of six, made together. */
export class KeyCells {
  readonly rpm: BucketCell;
  readonly tpm: BucketCell;
  readonly spend: SpendCell;

  constructor() {
    const numbers = new Float64Array(6);
    this.rpm = new NumbersBucketCell(numbers, 0);
    this.tpm = new NumbersBucketCell(numbers, 2);
    this.spend = new NumbersSpendCell(numbers, 4);
  }
}

export const newBucketCell = (): BucketCell => new NumbersBucketCell(new Float64Array(2), 0);
export const newSpendCell = (): SpendCell => new NumbersSpendCell(new Float64Array(2), 0);

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
  adjust(id: string, perMinute: number, amount: number, nowMs: number, cell?: BucketCell): MaybePromise<void>;
  /** Adds spend to the UTC day and month of `atMs` (spend for a period already past is dropped). */
  addSpend(keyId: string, usd: number, atMs: number): MaybePromise<void>;
  spend(keyId: string, nowMs: number, cell?: SpendCell): MaybePromise<Spend>;
  /**
   * What a finished request settles in one step: its token estimate reconciled with usage (`tokens`,
   * as `adjust`) and its spend (as `addSpend`). One round trip in Redis instead of two per request.
   * Never rejects: a settlement that cannot reach shared counters is applied to local ones instead.
   */
  charge(keyId: string, tokens: BucketAdjustment | undefined, usd: number, nowMs: number, spendCell?: SpendCell): MaybePromise<void>;
}

export interface BucketAdjustment {
  id: string;
  perMinute: number;
  /** Positive takes more, negative gives back. */
  amount: number;
  cell?: BucketCell;
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

const MINUTE_MS = 60_000;

export class MemoryUsageCounters implements UsageCounters {
  private readonly buckets = new Map<string, BucketCell>();
  private readonly spends = new Map<string, SpendCell>();
  private readonly held: Array<BucketCell | undefined> = [];
  private readonly levels: number[] = [];

  take(asks: readonly BucketAsk[], nowMs: number): TakeResult {
    // Each bucket is found once (from its cell when this holds it), and held in arrays reused by every
    // take: it never waits, so no two takes share them.
    const held = this.held;
    const levels = this.levels;
    let allowed = true;
    for (let i = 0; i < asks.length; i++) {
      const ask = asks[i]!;
      const bucket = this.heldFor(this.buckets, ask.id, ask.cell);
      const level = levelOf(bucket, ask.perMinute, nowMs);
      held[i] = bucket;
      levels[i] = level;
      if (level < Math.min(ask.cost, ask.perMinute)) allowed = false;
    }
    const buckets = new Array<BucketState>(asks.length); // its exact length: a push would allocate room for 17
    for (let i = 0; i < asks.length; i++) {
      const ask = asks[i]!;
      const level = allowed ? levels[i]! - ask.cost : levels[i]!;
      if (allowed) this.store(ask.id, held[i], ask.cell, level, nowMs);
      buckets[i] = bucketState(ask, level, allowed);
      held[i] = undefined; // not kept alive until the next take
    }
    return { allowed, buckets };
  }

  /** The record for `id`: its cell when this holds it, else the one in `map` (undefined: none yet). */
  private heldFor<C extends CounterCell>(map: Map<string, C>, id: string, cell: C | undefined): C | undefined {
    return cell !== undefined && cell.holder === this ? cell : map.get(id);
  }

  /**
   * The record to write for `id`, given what `heldFor` found: a new cell takes the place of the record
   * held, which is retired, and its state through `copy` (none for a bucket, whose caller writes its whole
   * state next); a cell this holds, or none to adopt, leaves the record held. Undefined when there is none
   * yet: the caller makes it. A new cell's blank state reads as a new record.
   */
  private recordFor<C extends CounterCell>(map: Map<string, C>, id: string, held: C | undefined, cell: C | undefined, copy?: (from: C, to: C) => void): C | undefined {
    if (cell === held || cell === undefined || cell.holder !== undefined) return held;
    if (held !== undefined) {
      copy?.(held, cell);
      held.holder = RETIRED;
    }
    cell.holder = this;
    map.set(id, cell);
    return cell;
  }

  /** Keeps a bucket's level in its record (a busy key's bucket is written on every request), or a new one. */
  private store(id: string, bucket: BucketCell | undefined, cell: BucketCell | undefined, level: number, atMs: number): void {
    let target = this.recordFor(this.buckets, id, bucket, cell);
    if (target === undefined) this.buckets.set(id, (target = { holder: this, level, atMs }));
    target.level = level;
    target.atMs = atMs;
  }

  adjust(id: string, perMinute: number, amount: number, nowMs: number, cell?: BucketCell): void {
    const bucket = this.heldFor(this.buckets, id, cell);
    this.store(id, bucket, cell, Math.min(perMinute, levelOf(bucket, perMinute, nowMs) - amount), nowMs);
  }

  addSpend(keyId: string, usd: number, atMs: number, cell?: SpendCell): void {
    const day = utcDay(atMs);
    const month = utcMonth(atMs);
    let current = this.recordFor(this.spends, keyId, this.heldFor(this.spends, keyId, cell), cell, copySpend);
    if (current === undefined) this.spends.set(keyId, (current = { holder: this, day, dayUsd: 0, month, monthUsd: 0 }));
    // ISO dates compare as strings: an older period is history, a newer one starts from zero.
    if (day > current.day) {
      current.day = day;
      current.dayUsd = 0;
    }
    if (month > current.month) {
      current.month = month;
      current.monthUsd = 0;
    }
    if (day === current.day) current.dayUsd += usd;
    if (month === current.month) current.monthUsd += usd;
  }

  charge(keyId: string, tokens: BucketAdjustment | undefined, usd: number, nowMs: number, spendCell?: SpendCell): void {
    if (tokens !== undefined) this.adjust(tokens.id, tokens.perMinute, tokens.amount, nowMs, tokens.cell);
    if (usd > 0) this.addSpend(keyId, usd, nowMs, spendCell);
  }

  spend(keyId: string, nowMs: number, cell?: SpendCell): Spend {
    const current = this.heldFor(this.spends, keyId, cell);
    if (current === undefined) return { dayUsd: 0, monthUsd: 0 };
    return {
      dayUsd: current.day === utcDay(nowMs) ? current.dayUsd : 0,
      monthUsd: current.month === utcMonth(nowMs) ? current.monthUsd : 0,
    };
  }
}

/** A held spend's state into the cell that takes its place (field by field: a cell's sums are accessors). */
function copySpend(from: SpendCell, to: SpendCell): void {
  to.day = from.day;
  to.dayUsd = from.dayUsd;
  to.month = from.month;
  to.monthUsd = from.monthUsd;
}

/** A bucket's level now: what it held, refilled for the time since, up to the limit (full when new). */
function levelOf(bucket: BucketCell | undefined, perMinute: number, nowMs: number): number {
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
