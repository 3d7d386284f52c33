/**
 * Time, injected. Breakers, budgets, windows and drills read the clock through this interface so that a
 * test can run hours of outage in milliseconds; nothing in policy code calls Date.now() or setTimeout.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Calls `fire` after `ms` unless cancelled first; returns the cancel. Cheaper than `sleep` (no promise,
   * no listener) for code that re-arms one timer per request, like an attempt's clock.
   */
  setTimer(ms: number, fire: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  setTimer: (ms, fire) => {
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  },
};

/** A clock that moves only when told to: for tests of time-based policies. */
export class ManualClock implements Clock {
  private nowMs: number;
  private sleepers: { at: number; resolve: () => void }[] = [];

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const sleeper = { at: this.nowMs + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  setTimer(ms: number, fire: () => void): () => void {
    const sleeper = { at: this.nowMs + ms, resolve: fire };
    this.sleepers.push(sleeper);
    return () => {
      this.sleepers = this.sleepers.filter((s) => s !== sleeper);
    };
  }

  /** Moves time forward and wakes every sleeper whose time has come. */
  advance(ms: number): void {
    this.nowMs += ms;
    const due = this.sleepers.filter((s) => s.at <= this.nowMs);
    this.sleepers = this.sleepers.filter((s) => s.at > this.nowMs);
    for (const s of due) s.resolve();
  }
}
