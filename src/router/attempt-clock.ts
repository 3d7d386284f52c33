/**
 * The clock of one attempt, the only place that decides when an attempt is late. It starts when the
 * attempt is sent and watches two marks: the response headers and the first token (for a JSON answer,
 * the complete body). Past its deployment's norm the attempt is *overdue*: `onOverdue` fires once, so the
 * router can hedge and count the silence against the deployment at once, without waiting for any
 * timeout. Past the first-token limit the attempt is cut: its signal aborts with a `StreamTimeoutError`,
 * which the provider classifies as a `timeout`. The signal also follows the parent (deadline, a hedge
 * that won, the client leaving), through listeners that `end` removes. Mid-stream silences are the stream reader's to time, with the
 * `idleLimitMs` decided here.
 */
import type { Clock } from '../core/clock.js';
import type { AbortWatch } from '../resilience/index.js';
import { AttemptSignal } from '../providers/attempt-signal.js';
import { StreamTimeoutError } from '../providers/http/network-failure.js';
import type { AttemptLimits } from './attempt-norms.js';

export interface AttemptClockOptions {
  clock: Clock;
  limits: AttemptLimits;
  /** What is left of the request's time: the cut comes no later than that (at least 1 ms from the start). */
  budgetMs?: number;
  /** Aborts when the request no longer wants this attempt (the deadline, the client left). */
  parent: AbortWatch;
  /** A second reason to stop, when there is one (a hedge race: the other attempt won). */
  cancel?: AbortWatch | undefined;
  /** The attempt went past its deployment's norm without an answer; called at most once. */
  onOverdue?: () => void;
}

/** Deadlines still pending, in ms after the attempt started. */
interface Pending {
  headersOverdue: number | undefined;
  firstTokenOverdue: number | undefined;
  cut: number | undefined;
}

export class AttemptClock {
  readonly startedAtMs: number;
  headersAtMs: number | undefined;
  firstTokenAtMs: number | undefined;
  /** When the attempt became overdue, if it did. */
  overdueAtMs: number | undefined;
  private readonly attemptSignal = new AttemptSignal();
  private detachParent: (() => void) | undefined;
  private readonly pending: Pending;
  private detachCancel: (() => void) | undefined;
  /** One timer for the earliest pending deadline, re-armed as marks come in (one per attempt, cheap). */
  private cancelTimer: (() => void) | undefined;
  private armedAt: number | undefined;

  constructor(private readonly options: AttemptClockOptions) {
    const { clock, limits, budgetMs, parent, cancel } = options;
    this.startedAtMs = clock.now();
    const cut = budgetMs === undefined ? limits.firstTokenLimitMs : Math.max(1, Math.min(limits.firstTokenLimitMs, budgetMs));
    this.pending = { headersOverdue: limits.headersOverdueMs, firstTokenOverdue: limits.firstTokenOverdueMs, cut };
    // Listeners, removed in `end`, rather than a composite signal: nothing of the attempt outlives it.
    const stopped = parent.aborted ? parent : cancel?.aborted === true ? cancel : undefined;
    if (stopped !== undefined) {
      this.attemptSignal.abort(stopped.reason);
      return;
    }
    const abort = (reason: unknown): void => this.attemptSignal.abort(reason);
    this.detachParent = parent.onAbort(abort);
    this.detachCancel = cancel?.onAbort(abort);
    this.arm();
  }

  /** Aborts on a cut, or when the parent aborts (with the parent's reason). */
  get signal(): AttemptSignal {
    return this.attemptSignal;
  }

  markHeaders(): void {
    if (this.headersAtMs !== undefined) return;
    this.headersAtMs = this.options.clock.now();
    this.pending.headersOverdue = undefined;
    this.arm();
  }

  /** The answer began (a JSON answer: it is complete): first-token timers stop. Returns the time to it. */
  markFirstToken(): number {
    this.headersAtMs ??= this.options.clock.now();
    this.firstTokenAtMs ??= this.options.clock.now();
    this.pending.headersOverdue = this.pending.firstTokenOverdue = this.pending.cut = undefined;
    this.arm();
    return this.firstTokenAtMs - this.startedAtMs;
  }

  /** The attempt is over (any way): timers stop and the parent is no longer watched. */
  end(): void {
    this.pending.headersOverdue = this.pending.firstTokenOverdue = this.pending.cut = undefined;
    this.arm();
    this.detachParent?.();
    this.detachCancel?.();
  }

  private arm(): void {
    const { headersOverdue, firstTokenOverdue, cut } = this.pending;
    let next: number | undefined;
    for (const at of [headersOverdue, firstTokenOverdue, cut]) if (at !== undefined && (next === undefined || at < next)) next = at;
    // Marks only take deadlines away, so the next one is never earlier than the armed timer: that timer is
    // kept, and when it fires early `fire` finds nothing due and arms the rest. An answer that comes in
    // time so costs one timer, not one per mark (each re-arm was a timer of a new duration, and so a new
    // timer list in node's queue).
    if (next === this.armedAt || (next !== undefined && this.armedAt !== undefined && next > this.armedAt)) return;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.armedAt = next;
    if (next === undefined) return;
    const { clock } = this.options;
    this.cancelTimer = clock.setTimer(Math.max(0, this.startedAtMs + next - clock.now()), () => this.fire());
  }

  private fire(): void {
    this.cancelTimer = undefined;
    this.armedAt = undefined;
    const elapsed = this.options.clock.now() - this.startedAtMs;
    const p = this.pending;
    if (p.cut !== undefined && elapsed >= p.cut) {
      const limitMs = p.cut;
      p.headersOverdue = p.firstTokenOverdue = p.cut = undefined;
      this.attemptSignal.abort(new StreamTimeoutError('first_token', limitMs));
      return;
    }
    if ((p.headersOverdue !== undefined && elapsed >= p.headersOverdue) || (p.firstTokenOverdue !== undefined && elapsed >= p.firstTokenOverdue)) {
      p.headersOverdue = p.firstTokenOverdue = undefined;
      this.becomeOverdue();
    }
    this.arm();
  }

  private becomeOverdue(): void {
    if (this.overdueAtMs !== undefined || this.attemptSignal.aborted) return;
    this.overdueAtMs = this.options.clock.now();
    this.options.onOverdue?.();
  }
}
