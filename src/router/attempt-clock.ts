/**
 * The clock of one attempt, the only place that decides when an attempt is late. It starts when the
 * attempt is sent and watches two marks: the response headers and the first token (for a JSON answer,
 * the complete body). Past its deployment's norm the attempt is *overdue*: `onOverdue` fires once, so the
 * router can hedge and count the silence against the deployment at once, without waiting for any
 * timeout. Past the first-token limit the attempt is cut: its signal aborts with a `StreamTimeoutError`,
 * which the provider classifies as a `timeout`. The signal also follows the parent (deadline, a hedge
 * that won, the client leaving). Mid-stream silences are the stream reader's to time, with the
 * `idleLimitMs` decided here.
 */
import type { Clock } from '../core/clock.js';
import { StreamTimeoutError } from '../providers/http/network-failure.js';
import type { AttemptLimits } from './attempt-norms.js';

export interface AttemptClockOptions {
  clock: Clock;
  limits: AttemptLimits;
  /** Aborts when the request no longer wants this attempt (deadline, a hedge won, the client left). */
  parent: AbortSignal;
  /** The attempt went past its deployment's norm without an answer; called at most once. */
  onOverdue?: () => void;
}

export class AttemptClock {
  readonly startedAtMs: number;
  readonly limits: AttemptLimits;
  headersAtMs: number | undefined;
  firstTokenAtMs: number | undefined;
  /** When the attempt became overdue, if it did. */
  overdueAtMs: number | undefined;
  private readonly controller = new AbortController();
  /** Cancels the pending timers (they are sleeps on the injected clock). */
  private readonly timers = new AbortController();
  private readonly headersTimers = new AbortController();
  private readonly onParentAbort: () => void;

  constructor(private readonly options: AttemptClockOptions) {
    const { clock, limits, parent } = options;
    this.startedAtMs = clock.now();
    this.limits = limits;
    this.onParentAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) this.onParentAbort();
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    this.after(limits.firstTokenLimitMs, this.timers.signal, () => this.controller.abort(new StreamTimeoutError('first_token', limits.firstTokenLimitMs)));
    if (limits.firstTokenOverdueMs !== undefined) this.after(limits.firstTokenOverdueMs, this.timers.signal, () => this.becomeOverdue());
    if (limits.headersOverdueMs !== undefined) this.after(limits.headersOverdueMs, this.headersTimers.signal, () => this.becomeOverdue());
  }

  /** Aborts on a cut, or when the parent aborts (with the parent's reason). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get overdue(): boolean {
    return this.overdueAtMs !== undefined;
  }

  markHeaders(): void {
    if (this.headersAtMs !== undefined) return;
    this.headersAtMs = this.options.clock.now();
    this.headersTimers.abort();
  }

  /** The answer began (a JSON answer: it is complete): first-token timers stop. Returns the time to it. */
  markFirstToken(): number {
    this.markHeaders();
    this.firstTokenAtMs ??= this.options.clock.now();
    this.timers.abort();
    return this.firstTokenAtMs - this.startedAtMs;
  }

  /** The attempt is over (any way): timers stop and the parent is no longer watched. */
  end(): void {
    this.timers.abort();
    this.headersTimers.abort();
    this.options.parent.removeEventListener('abort', this.onParentAbort);
  }

  private becomeOverdue(): void {
    if (this.overdueAtMs !== undefined || this.controller.signal.aborted) return;
    this.overdueAtMs = this.options.clock.now();
    this.options.onOverdue?.();
  }

  private after(ms: number, signal: AbortSignal, fire: () => void): void {
    this.options.clock.sleep(ms, signal).then(fire, () => undefined);
  }
}
