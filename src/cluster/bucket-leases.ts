/**
 * Tokens one replica holds from shared token buckets, so that most requests are admitted without a Redis
 * round trip. When a take has to go to Redis anyway, it asks for a little more than it needs (a lease:
 * `fraction` of the bucket's per-minute allowance); later takes of that bucket are served from what is held
 * until it runs out. A lease is taken atomically from the shared bucket, so the cluster never admits more
 * than the bucket allows; what a replica holds and does not use is at most one lease, and is given back
 * once the bucket has been idle here for `idleMs`.
 *
 * A lease is granted only from what the bucket can spare after the take itself, so a bucket near its
 * limit is served exactly, one Redis take per request, as before leases; small buckets (where 1% is less
 * than one token) never lease at all. Reconciling a request's token estimate with its real usage also
 * settles against what is held first: an overestimate refills the lease (up to two leases), an
 * underestimate is taken from it, and only the rest goes to Redis.
 *
 * This module keeps no connection and no timer: the Redis counters call it and send what it returns.
 */
import { bucketState, type BucketAsk, type BucketState, type TakeResult } from '../server/auth/usage-counters.js';

export const LEASE_DEFAULTS = {
  // A lease is 1% of a minute's allowance: with N replicas at most N% of it sits unused in leases.
  fraction: 0.01,
  // A lease unused this long goes back to the shared bucket. Long enough that a key used every few
  // seconds keeps its lease (taking it again is a Redis round trip, about 0.1 ms of Keel's CPU); short
  // enough that what an idle replica holds (1% of the limit) is soon the cluster's again.
  idleMs: 10_000, // 10 s
  // Buckets held at once; past it new buckets are served without leases (exactly, from Redis).
  maxBuckets: 10_000,
} as const;

const MINUTE_MS = 60_000;

interface Held {
  perMinute: number;
  /** Tokens taken from the shared bucket and not yet used here. */
  tokens: number;
  /** The shared bucket's level (without what is held) as Redis last reported it, at `atMs`. */
  level: number;
  atMs: number;
  usedAtMs: number;
}

/** A change to send to a shared bucket: positive takes, negative gives back (as `UsageCounters.adjust`). */
export interface BucketDelta {
  id: string;
  perMinute: number;
  amount: number;
}

export class BucketLeases {
  private readonly held = new Map<string, Held>();
  /** Buckets with a lease on its way, by the ask that carries it. */
  private readonly asking = new Map<string, BucketAsk>();
  /** The buckets of the take in hand (see `tryTake`). */
  private readonly found: Array<Held | undefined> = [];

  constructor(private readonly options: { fraction?: number; idleMs?: number; maxBuckets?: number } = {}) {}

  /**
   * The lease to ask for with a take of this bucket that goes to Redis. One lease is asked at a time per
   * bucket: takes sent while one is on its way ask for none, so a burst of first takes cannot empty the
   * bucket into leases. Call `done` with the same asks when the take is answered or failed.
   */
  leaseFor(ask: BucketAsk): number {
    if (this.asking.has(ask.id)) return 0;
    if (!this.held.has(ask.id) && this.held.size >= (this.options.maxBuckets ?? LEASE_DEFAULTS.maxBuckets)) return 0;
    const lease = this.leaseSize(ask.perMinute);
    if (lease > 0) this.asking.set(ask.id, ask);
    return lease;
  }

  done(asks: readonly BucketAsk[]): void {
    for (const ask of asks) if (this.asking.get(ask.id) === ask) this.asking.delete(ask.id);
  }

  /**
   * Admits the take from what is held when every bucket holds enough; undefined when Redis must decide.
   * Each bucket is looked up once (with 1,000 keys its entry is rarely in cache) and kept in an array
   * reused by every take: a take never waits, so no two share it.
   */
  tryTake(asks: readonly BucketAsk[], nowMs: number): TakeResult | undefined {
    const found = this.found;
    for (let i = 0; i < asks.length; i++) {
      const ask = asks[i]!;
      const held = this.held.get(ask.id);
      if (held === undefined || held.perMinute !== ask.perMinute || held.tokens < ask.cost) {
        found.fill(undefined, 0, i); // not kept alive until the next take
        return undefined;
      }
      found[i] = held;
    }
    const buckets = new Array<BucketState>(asks.length); // its exact length: a push would allocate room for 17
    for (let i = 0; i < asks.length; i++) {
      const ask = asks[i]!;
      const held = found[i]!;
      found[i] = undefined;
      held.tokens -= ask.cost;
      held.usedAtMs = nowMs;
      buckets[i] = bucketState(ask, this.effectiveLevel(held, nowMs), true);
    }
    return { allowed: true, buckets };
  }

  /** What Redis answered to a take: each bucket's level after it and the lease it granted. */
  granted(asks: readonly BucketAsk[], allowed: boolean, levels: readonly number[], leases: readonly number[], nowMs: number): TakeResult {
    const buckets = asks.map((ask, i) => {
      const lease = leases[i] ?? 0;
      if (lease <= 0 && !this.held.has(ask.id)) return bucketState(ask, levels[i]!, allowed);
      const held = this.remember(ask.id, ask.perMinute, levels[i]!, nowMs);
      held.tokens += lease;
      if (allowed) held.usedAtMs = nowMs;
      return bucketState(ask, this.effectiveLevel(held, nowMs), allowed);
    });
    return { allowed, buckets };
  }

  /** A bucket's level as a later Redis reply reported it (a flush), with `pending` not yet sent. */
  observed(id: string, perMinute: number, level: number, pending: number, nowMs: number): void {
    const held = this.held.get(id);
    if (held !== undefined) this.remember(id, perMinute, level - pending, nowMs);
  }

  /**
   * Settles a change against what is held and returns what is left for Redis: an underestimate (positive)
   * is taken from the lease, an overestimate (negative) refills it up to two leases.
   */
  settle(id: string, perMinute: number, amount: number, nowMs: number): number {
    const held = this.held.get(id);
    if (held === undefined || held.perMinute !== perMinute) return amount;
    held.usedAtMs = nowMs;
    if (amount > 0) {
      const used = Math.min(held.tokens, amount);
      held.tokens -= used;
      return amount - used;
    }
    const room = Math.max(0, 2 * this.leaseSize(perMinute) - held.tokens);
    const kept = Math.min(room, -amount);
    held.tokens += kept;
    return amount + kept;
  }

  /** Leases unused for `idleMs` (or all of them, at close), removed here: give them back to Redis. */
  release(nowMs: number, all = false): BucketDelta[] {
    const idleMs = this.idleMs;
    const out: BucketDelta[] = [];
    for (const [id, held] of this.held) {
      if (!all && nowMs - held.usedAtMs < idleMs) continue;
      this.held.delete(id);
      if (held.tokens > 0) out.push({ id, perMinute: held.perMinute, amount: -held.tokens });
    }
    return out;
  }

  /** Forgets every lease without giving it back (Redis was lost: its buckets refill on their own). */
  clear(): void {
    this.held.clear();
  }

  /** How long an unused lease is kept. */
  get idleMs(): number {
    return this.options.idleMs ?? LEASE_DEFAULTS.idleMs;
  }

  get size(): number {
    return this.held.size;
  }

  private leaseSize(perMinute: number): number {
    return Math.floor(perMinute * (this.options.fraction ?? LEASE_DEFAULTS.fraction));
  }

  private remember(id: string, perMinute: number, level: number, nowMs: number): Held {
    let held = this.held.get(id);
    if (held === undefined || held.perMinute !== perMinute) {
      held = { perMinute, tokens: held?.tokens ?? 0, level, atMs: nowMs, usedAtMs: nowMs };
      this.held.set(id, held);
    }
    held.level = level;
    held.atMs = nowMs;
    return held;
  }

  /** What this replica can count on now: the shared level refilled since Redis reported it, plus what it holds. */
  private effectiveLevel(held: Held, nowMs: number): number {
    const refilled = Math.min(held.perMinute, held.level + (Math.max(0, nowMs - held.atMs) * held.perMinute) / MINUTE_MS);
    return Math.min(held.perMinute, refilled + held.tokens);
  }
}
