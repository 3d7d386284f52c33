/**
 * A request's time budget. One `Deadline` per client request: its `signal` aborts when the budget is
 * spent or when the client's own signal aborts (client went away), and `childSignal` gives each attempt
 * a signal that also aborts at the attempt's own timeout, whichever comes first. Timers run through the
 * injected `Clock` (`clock.sleep`), so tests drive them with `ManualClock`; `dispose` cancels every timer
 * still pending, so a finished request holds nothing alive.
 *
 * Timeouts abort with a `DOMException` named `TimeoutError`, as `AbortSignal.timeout` does, so code that
 * handles fetch timeouts handles these; the caller may supply its own reasons instead (the router's
 * `KeelError('deadline_exceeded')`: this module stays below the error contract). A client disconnect
 * aborts with the client signal's own reason. `expired` tells a spent budget from an attempt timeout.
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

const DISPOSED = new Error('deadline disposed');

export class Deadline {
  readonly startedAtMs: number;
  readonly deadlineAtMs: number;
  /** Aborts at the deadline or when the parent signal aborts. */
  readonly signal: AbortSignal;
  readonly #clock: Clock;
  readonly #timeoutReason: (kind: TimeoutKind, timeoutMs: number) => unknown;
  /** One canceller per pending timer; removed when its timer fires, all aborted by `dispose`. */
  readonly #timers = new Set<AbortController>();
  #disposed = false;

  constructor({ budgetMs, clock = systemClock, parentSignal, timeoutReason = defaultTimeoutReason }: DeadlineOptions) {
    this.#clock = clock;
    this.#timeoutReason = timeoutReason;
    this.startedAtMs = clock.now();
    this.deadlineAtMs = this.startedAtMs + Math.max(0, budgetMs);
    const own = new AbortController();
    this.#abortAfter(own, budgetMs, 'deadline');
    this.signal = parentSignal === undefined ? own.signal : AbortSignal.any([parentSignal, own.signal]);
  }

  remainingMs(): number {
    return Math.max(0, this.deadlineAtMs - this.#clock.now());
  }

  /** True once the budget is spent (not when the client aborted). */
  get expired(): boolean {
    return this.#clock.now() >= this.deadlineAtMs;
  }

  /** A signal for one attempt: aborts after `timeoutMs`, at the deadline, or with the client. */
  childSignal(timeoutMs: number): AbortSignal {
    // When the deadline comes first, its own signal already covers the attempt: no second timer.
    if (timeoutMs >= this.remainingMs()) return AbortSignal.any([this.signal]);
    const attempt = new AbortController();
    this.#abortAfter(attempt, timeoutMs, 'attempt');
    return AbortSignal.any([this.signal, attempt.signal]);
  }

  /** Cancels pending timers. Signals already handed out stay as they are; none will abort by timer. */
  dispose(): void {
    this.#disposed = true;
    // A fixed reason: `abort()` without one builds a DOMException with a stack trace, on every request.
    for (const timer of this.#timers) timer.abort(DISPOSED);
    this.#timers.clear();
  }

  #abortAfter(target: AbortController, ms: number, kind: TimeoutKind): void {
    const reason = (): unknown => this.#timeoutReason(kind, Math.max(0, ms));
    if (ms <= 0) {
      target.abort(reason());
      return;
    }
    if (this.#disposed) return;
    const timer = new AbortController();
    this.#timers.add(timer);
    this.#clock.sleep(ms, timer.signal).then(
      () => {
        this.#timers.delete(timer);
        target.abort(reason());
      },
      () => {
        // Cancelled by dispose: nothing to abort.
      },
    );
  }
}
