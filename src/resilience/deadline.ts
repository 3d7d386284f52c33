/**
 * A request's time budget. One `Deadline` per client request: it aborts when the budget is spent or when
 * the client's own signal aborts (client went away), and is watched as an `AbortWatch` (below). The timer
 * runs through the injected `Clock` (`clock.setTimer`), so tests drive it with `ManualClock`; `dispose`
 * cancels the timer and stops watching the client's signal, so a finished request holds nothing alive.
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

/**
 * A cancellation as the request path watches it: its state, and listeners added and removed cheaply. An
 * `AbortSignal` costs about 4 µs to make on Node 20 (an EventTarget with its maps) and more per listener;
 * a request's deadline is watched by every attempt but rarely fires, so it is one of these, with an
 * `AbortSignal` made only for an API that needs one.
 */
export interface AbortWatch {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once, when it aborts (never if it already has); returns the detach. */
  onAbort(listener: (reason: unknown) => void): () => void;
  /** The same cancellation as an `AbortSignal`, made on first use: for APIs that take one. */
  readonly signal: AbortSignal;
}

/** An `AbortSignal` watched as an `AbortWatch` (for callers that hold only a signal). */
export function watchSignal(signal: AbortSignal): AbortWatch {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    onAbort(listener) {
      const onAbort = (): void => listener(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
    signal,
  };
}

export class Deadline implements AbortWatch {
  readonly startedAtMs: number;
  readonly deadlineAtMs: number;
  #aborted = false;
  #reason: unknown;
  #listeners: ((reason: unknown) => void)[] | undefined;
  #controller: AbortController | undefined;
  readonly #parent: AbortSignal | undefined;
  readonly #onParentAbort = (): void => {
    this.#abort(this.#parent?.reason);
    this.dispose();
  };
  readonly #clock: Clock;
  #cancelTimer: (() => void) | undefined;

  constructor({ budgetMs, clock = systemClock, parentSignal, timeoutReason = defaultTimeoutReason }: DeadlineOptions) {
    this.#clock = clock;
    this.startedAtMs = clock.now();
    this.deadlineAtMs = this.startedAtMs + Math.max(0, budgetMs);
    const timeoutMs = Math.max(0, budgetMs);
    if (parentSignal?.aborted === true) {
      this.#abort(parentSignal.reason);
      return;
    }
    if (timeoutMs === 0) {
      this.#abort(timeoutReason('deadline', 0));
      return;
    }
    this.#parent = parentSignal;
    parentSignal?.addEventListener('abort', this.#onParentAbort, { once: true });
    this.#cancelTimer = clock.setTimer(timeoutMs, () => {
      this.#cancelTimer = undefined;
      this.#abort(timeoutReason('deadline', timeoutMs));
      this.dispose();
    });
  }

  /** Aborted at the deadline or when the parent signal aborted. */
  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.#aborted) return () => undefined;
    (this.#listeners ??= []).push(listener);
    return () => {
      const listeners = this.#listeners;
      const i = listeners === undefined ? -1 : listeners.indexOf(listener);
      if (i >= 0) listeners!.splice(i, 1);
    };
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineAtMs - this.#clock.now());
  }

  /** True once the budget is spent (not when the client aborted). */
  get expired(): boolean {
    return this.#clock.now() >= this.deadlineAtMs;
  }

  /** Cancels the timer and stops watching the parent; the state stays as it is (it will not abort by timer). */
  dispose(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#parent?.removeEventListener('abort', this.#onParentAbort);
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener(reason);
    this.#controller?.abort(reason);
  }
}
