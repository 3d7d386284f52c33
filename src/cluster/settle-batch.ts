/**
 * Changes that need not hold up a request, gathered for one write: bucket changes (reconciled estimates,
 * leases given back) summed per bucket, spend summed per UTC day and key (a spend of 0 asks only to read
 * the key's totals; no composite id is built per request), and one promise for the callers waiting to
 * know their changes were sent (shared: a busy replica queues thousands of changes per batch; it only
 * ever resolves). `wait` starts a timer of `everyMs`; `drain` hands the sender everything gathered and
 * starts a new batch, so changes made while one is on its way join the next.
 */
import type { BucketDelta } from './bucket-leases.js';

export interface PendingSpend {
  keyId: string;
  day: string;
  month: string;
  atMs: number;
  usd: number;
}

export interface Batch {
  buckets: BucketDelta[];
  spends: PendingSpend[];
  /** The latest caller time among the changes: the time the buckets are refilled to. */
  atMs: number;
  /** Resolves the waits of this batch's callers: call it once the batch is sent (or failed over). */
  sent: () => void;
}

const NOBODY_WAITS = (): void => undefined;

export class SettleBatch {
  private buckets = new Map<string, BucketDelta>();
  /** By UTC day, then key id. */
  private spends = new Map<string, Map<string, PendingSpend>>();
  private atMs = 0;
  private waiting: { promise: Promise<void>; resolve: () => void } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly everyMs: number,
    private readonly send: () => void,
  ) {}

  addBucket(delta: BucketDelta, atMs: number): void {
    const pending = this.buckets.get(delta.id);
    if (pending === undefined) this.buckets.set(delta.id, { ...delta });
    else pending.amount += delta.amount;
    this.atMs = Math.max(this.atMs, atMs);
  }

  /** Spend of a key for the UTC day (and month) of `atMs`; a later one of the same day adds to it. */
  addSpend(keyId: string, day: string, month: string, atMs: number, usd: number): void {
    let keys = this.spends.get(day);
    if (keys === undefined) this.spends.set(day, (keys = new Map()));
    const pending = keys.get(keyId);
    if (pending === undefined) keys.set(keyId, { keyId, day, month, atMs, usd });
    else pending.usd += usd;
    if (atMs > this.atMs) this.atMs = atMs;
  }

  /** What is gathered and not yet sent for a bucket, or for a key's day. */
  bucketAmount(id: string): number {
    return this.buckets.get(id)?.amount ?? 0;
  }

  spendUsd(keyId: string, day: string): number {
    return this.spends.get(day)?.get(keyId)?.usd ?? 0;
  }

  /** Resolves once the changes gathered so far have been sent (or failed over to local counters). */
  wait(): Promise<void> {
    if (this.waiting === undefined) {
      let resolve = NOBODY_WAITS;
      const promise = new Promise<void>((r) => (resolve = r));
      this.waiting = { promise, resolve };
    }
    this.schedule();
    return this.waiting.promise;
  }

  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(this.send, this.everyMs);
    this.timer.unref();
  }

  drain(): Batch {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch: Batch = { buckets: [...this.buckets.values()], spends: [...this.spends.values()].flatMap((keys) => [...keys.values()]), atMs: this.atMs, sent: this.waiting?.resolve ?? NOBODY_WAITS };
    this.buckets = new Map();
    this.spends = new Map();
    this.atMs = 0;
    this.waiting = undefined;
    return batch;
  }
}
