/**
 * A request's time budget. One `Deadline` per client request: its `signal` aborts when the budget is
 * spent or when the client's own signal aborts (client went away). The timer runs through the injected
 * `Clock` (`clock.setTimer`), so tests drive it with `ManualClock`; `dispose` cancels the timer and stops
 * watching the client's signal, so a finished request holds nothing alive.
 *
 * No `AbortSignal.any` here: in Node 20 a composite signal with an abort listener is held strongly until
 * it aborts, and a deadline that is disposed never aborts, so every request that hedged (whose signals
 * listen to this one) stayed in memory for good (about 3 KB a request, measured with a heap snapshot).
 *
 * A timeout aborts with a `DOMException` named `TimeoutError`, as `AbortSignal.timeout` does, so code that
 * handles fetch timeouts handles it; the caller may supply its own reason instead (the router's
 * `KeelError('deadline_exceeded')`: this module stays below the error contract). A client disconnect
 * aborts with the client signal's own reason. `expired` tells a spent budget from a client that left.
 */
import { systemClock, type Clock } from '../core/clock.js';

export interface DeadlineOptions {
  /** Total time the request may take, from now. */
  budgetMs: number;
  clock?: Clock;
  /** The client's signal: aborting it aborts the deadline's signal and every child. */
  parentSignal?: AbortSignal;
  /** The abort reason of a timeout; defaults to a `TimeoutError` DOMException. */
  timeoutReason?: (kind: TimeoutKind, timeoutMs: number) => unknown;
}

export type TimeoutKind = 'deadline' | 'attempt';

function defaultTimeoutReason(kind: TimeoutKind, timeoutMs: number): DOMException {
  const message =
    kind === 'deadline' ? `request deadline of ${timeoutMs} ms exceeded` : `attempt timed out after ${timeoutMs} ms`;
  return new DOMException(message, 'TimeoutError');
}

export class Deadline {
  readonly startedAtMs: number;
  readonly deadlineAtMs: number;
  /** Aborts at the deadline or when the parent signal aborts. */
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort = (): void => {
    this.#controller.abort(this.#parent?.reason);
    this.dispose();
  };
  readonly #clock: Clock;
  #cancelTimer: (() => void) | undefined;

  constructor({ budgetMs, clock = systemClock, parentSignal, timeoutReason = defaultTimeoutReason }: DeadlineOptions) {
    this.#clock = clock;
    this.startedAtMs = clock.now();
    this.deadlineAtMs = this.startedAtMs + Math.max(0, budgetMs);
    this.signal = this.#controller.signal;
    const timeoutMs = Math.max(0, budgetMs);
    if (parentSignal?.aborted === true) {
      this.#controller.abort(parentSignal.reason);
      return;
    }
    if (timeoutMs === 0) {
      this.#controller.abort(timeoutReason('deadline', 0));
      return;
    }
    this.#parent = parentSignal;
    parentSignal?.addEventListener('abort', this.#onParentAbort, { once: true });
    this.#cancelTimer = clock.setTimer(timeoutMs, () => {
      this.#cancelTimer = undefined;
      this.#controller.abort(timeoutReason('deadline', timeoutMs));
      this.dispose();
    });
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineAtMs - this.#clock.now());
  }

  /** True once the budget is spent (not when the client aborted). */
  get expired(): boolean {
    return this.#clock.now() >= this.deadlineAtMs;
  }

  /** Cancels the timer and stops watching the parent; the signal stays as it is (it will not abort by timer). */
  dispose(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }
}
