/**
 * Admission to the whole gateway: a concurrency limit with a short priority queue. When every slot is
 * taken, a request waits in the queue, but never past its own deadline or the queue's wait cap; when
 * the queue is full, the least important request is shed — a queued `batch` request is evicted to make
 * room for an `interactive` one — so the most important traffic is shed last. Shed requests get a
 * rejection at once (the caller answers 429 with Retry-After); nothing waits unboundedly and the queue's
 * memory is bounded by its length.
 */
import type { Clock } from '../core/clock.js';
import type { AbortWatch } from './abort-watch.js';

export const PRIORITIES = ['interactive', 'batch'] as const;
export type Priority = (typeof PRIORITIES)[number];

const RANK: Record<Priority, number> = { interactive: 0, batch: 1 };

export class AdmissionRejected extends Error {
  override readonly name = 'AdmissionRejected';
  constructor(readonly reason: 'queue_full' | 'evicted' | 'queue_timeout' | 'aborted') {
    super(`not admitted: ${reason}`);
  }
}

export interface AdmissionOptions {
  maxConcurrent: number;
  maxQueue: number;
  /** The longest a request may wait for a slot, whatever its own deadline. */
  maxWaitMs: number;
}

interface Waiter {
  rank: number;
  seq: number;
  resolve: (release: () => void) => void;
  reject: (err: AdmissionRejected) => void;
  cleanup: () => void;
}

export class AdmissionQueue {
  #inFlight = 0;
  #seq = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    private readonly options: AdmissionOptions,
    private readonly clock: Clock,
  ) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** The release function when there is room now (nothing queued, a slot free); undefined when `acquire` must wait. */
  tryAcquire(): (() => void) | undefined {
    return this.#inFlight < this.options.maxConcurrent && this.#queue.length === 0 ? this.#admit() : undefined;
  }

  /**
   * Resolves with a release function once admitted; rejects with `AdmissionRejected` when shed. The wait
   * ends at `min(maxWaitMs, deadlineMs)` or when `cancel` aborts.
   */
  acquire(priority: Priority, cancel: AbortWatch, deadlineMs: number): Promise<() => void> {
    const admitted = this.tryAcquire();
    if (admitted !== undefined) return Promise.resolve(admitted);
    const rank = RANK[priority];
    if (this.#queue.length >= this.options.maxQueue) {
      const last = this.#queue.at(-1);
      // Shed the least important: the newcomer if nothing queued is less important than it.
      if (last === undefined || last.rank <= rank) return Promise.reject(new AdmissionRejected('queue_full'));
      this.#remove(last);
      last.reject(new AdmissionRejected('evicted'));
    }
    return new Promise((resolve, reject) => {
      const waitMs = Math.max(0, Math.min(this.options.maxWaitMs, deadlineMs));
      const timer = new AbortController();
      let detach: (() => void) | undefined;
      const waiter: Waiter = {
        rank,
        seq: this.#seq++,
        resolve,
        reject,
        cleanup: () => {
          timer.abort();
          detach?.();
        },
      };
      detach = cancel.onAbort(() => {
        this.#remove(waiter);
        reject(new AdmissionRejected('aborted'));
      });
      this.clock.sleep(waitMs, timer.signal).then(
        () => {
          this.#remove(waiter);
          reject(new AdmissionRejected('queue_timeout'));
        },
        () => undefined, // admitted or aborted first
      );
      this.#insert(waiter);
    });
  }

  #admit(): () => void {
    this.#inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#inFlight < this.options.maxConcurrent && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      next.cleanup();
      next.resolve(this.#admit());
    }
  }

  /** Keeps the queue ordered by rank, then arrival. */
  #insert(waiter: Waiter): void {
    const index = this.#queue.findIndex((w) => w.rank > waiter.rank);
    if (index < 0) this.#queue.push(waiter);
    else this.#queue.splice(index, 0, waiter);
  }

  #remove(waiter: Waiter): void {
    const index = this.#queue.indexOf(waiter);
    if (index >= 0) this.#queue.splice(index, 1);
    waiter.cleanup();
  }
}
