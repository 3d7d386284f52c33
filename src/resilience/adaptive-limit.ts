/**
 * An adaptive concurrency limit (AIMD, in the spirit of Netflix's concurrency-limits): the limit grows by
 * one per "window" of successful calls (additive increase: +1/limit per success) and shrinks by a factor on
 * a sign of overload (multiplicative decrease): an overload or rate-limit answer, a timeout, or a time to
 * first token far above the deployment's recent norm. The limit therefore tracks what the provider can
 * take right now instead of a number someone guessed; when a provider runs out of capacity, its limit
 * falls and the excess goes elsewhere instead of piling onto it.
 */
import type { Outcome } from '../core/outcome.js';
import { RESILIENCE_DEFAULTS } from './defaults.js';

export interface AdaptiveLimitOptions {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  /** The factor applied on overload (0.9 = drop 10%). */
  backoffRatio: number;
  /** A TTFT above this multiple of the smoothed TTFT counts as overload... */
  latencyTolerance: number;
  /** ...when it is also at least this much above it. */
  minSlowDeltaMs: number;
}

const OVERLOAD: ReadonlySet<Outcome> = new Set<Outcome>(['rate_limited', 'overloaded', 'timeout']);
const EWMA_ALPHA = 0.1; // smoothed TTFT: slow enough that one slow call does not move the norm

export class AdaptiveLimit {
  readonly #options: AdaptiveLimitOptions;
  #limit: number;
  #inFlight = 0;
  #ttftEwmaMs: number | undefined;

  constructor(options: Partial<AdaptiveLimitOptions> = {}) {
    this.#options = { ...RESILIENCE_DEFAULTS.adaptiveLimit, ...options };
    this.#limit = this.#options.initialLimit;
  }

  get limit(): number {
    return Math.floor(this.#limit);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Takes a slot if one is free. Every true must be followed by exactly one `release`. */
  tryAcquire(): boolean {
    if (this.#inFlight >= this.limit) return false;
    this.#inFlight += 1;
    return true;
  }

  /**
   * Frees a slot and adapts the limit. `ttftMs` is the time to the first byte or token when known;
   * `outcome` undefined means the call was cancelled and says nothing about capacity.
   */
  release(outcome: Outcome | undefined, ttftMs?: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (outcome === undefined) return;
    const { minLimit, maxLimit, backoffRatio, latencyTolerance } = this.#options;
    // Slow means far above the norm in relative AND absolute terms: with a norm of 2 ms, a 7 ms answer is a
    // GC pause or Keel's own queueing, not a provider running out of capacity.
    const slow = ttftMs !== undefined && this.#ttftEwmaMs !== undefined && ttftMs > Math.max(this.#ttftEwmaMs * latencyTolerance, this.#ttftEwmaMs + this.#options.minSlowDeltaMs);
    if (OVERLOAD.has(outcome) || slow) {
      this.#limit = Math.max(minLimit, this.#limit * backoffRatio);
    } else if (outcome === 'ok') {
      this.#limit = Math.min(maxLimit, this.#limit + 1 / this.#limit);
    }
    if (outcome === 'ok' && ttftMs !== undefined) {
      this.#ttftEwmaMs = this.#ttftEwmaMs === undefined ? ttftMs : this.#ttftEwmaMs + EWMA_ALPHA * (ttftMs - this.#ttftEwmaMs);
    }
  }

  toJSON(): { limit: number; inFlight: number; ttftEwmaMs: number | undefined } {
    return { limit: this.limit, inFlight: this.#inFlight, ttftEwmaMs: this.#ttftEwmaMs };
  }
}
