/**
 * Client-side adaptive throttling (Google SRE book, "Handling Overload"): per deployment, over a sliding
 * window, reject locally with probability `max(0, (requests − K·accepts) / (requests + 1))`. When a
 * provider is drowning it answers most calls with 429/503; this lets Keel shed that load before sending
 * it, and because local rejections still count as requests, the probability stays high until the
 * provider accepts again, then falls off by itself without any timer.
 *
 * Protocol: call `shouldReject` before an attempt. If it says true, the attempt is not sent (and was
 * counted as a request). Otherwise send it and call `record` (or `recordOutcome`) with the result.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { isProviderFault, type Outcome } from '../core/outcome.js';
import { RESILIENCE_DEFAULTS } from './defaults.js';
import { MemoryStateStore, type StateStore } from './state-store.js';
import { TypedEmitter, type Listener } from './typed-emitter.js';
import { addToWindow, emptyWindow, sumWindow, validateWindowShape, type WindowState } from './sliding-window.js';

type ThrottleField = 'requests' | 'accepts';
const FIELDS: readonly ThrottleField[] = ['requests', 'accepts'];

export interface AdaptiveThrottleState {
  window: WindowState<ThrottleField>;
}

export interface AdaptiveThrottleOptions {
  /** The SRE book's multiplier: how many requests per accept the backend may see before local rejection. */
  k: number;
  windowMs: number;
  bucketMs: number;
  store: StateStore<AdaptiveThrottleState>;
}

export interface ThrottleRejectedEvent {
  deploymentId: string;
  atMs: number;
  rejectProbability: number;
}

export interface AdaptiveThrottleEvents extends Record<string, unknown> {
  rejected: ThrottleRejectedEvent;
}

/**
 * Whether an outcome counts as "accepted" by the backend. Every provider fault counts as a rejection:
 * beyond 429/503, a 500, a refused connection or a timeout all mean the backend could not serve what it
 * was sent, which is what the throttle must stop sending. Client errors were served: accepted.
 */
export function isThrottleAccept(outcome: Outcome): boolean {
  return !isProviderFault(outcome);
}

export class AdaptiveThrottle {
  readonly #options: Omit<AdaptiveThrottleOptions, 'store'>;
  readonly #store: StateStore<AdaptiveThrottleState>;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<AdaptiveThrottleEvents>();

  constructor(options: Partial<AdaptiveThrottleOptions> = {}, clock: Clock = systemClock) {
    const { store, ...rest } = options;
    this.#options = { ...RESILIENCE_DEFAULTS.adaptiveThrottle, ...rest };
    if (!(this.#options.k >= 1)) throw new RangeError('AdaptiveThrottle: k must be >= 1');
    validateWindowShape(this.#options, 'AdaptiveThrottle');
    this.#store = store ?? new MemoryStateStore();
    this.#clock = clock;
  }

  on<K extends keyof AdaptiveThrottleEvents>(name: K, listener: Listener<AdaptiveThrottleEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /** Decides whether to reject the next attempt locally; a rejected attempt is counted as a request. */
  shouldReject(deploymentId: string, random: () => number = Math.random): boolean {
    const nowMs = this.#clock.now();
    const state = this.#load(deploymentId);
    const rejectProbability = this.#probability(state, nowMs);
    if (rejectProbability <= 0 || random() >= rejectProbability) return false;
    addToWindow(state.window, this.#options, nowMs, 'requests');
    this.#store.set(deploymentId, state);
    this.#events.emit('rejected', { deploymentId, atMs: nowMs, rejectProbability });
    return true;
  }

  /** Records an attempt that was sent; `accepted` is false for overload, rate-limit and unavailability. */
  record(deploymentId: string, accepted: boolean): void {
    const nowMs = this.#clock.now();
    const state = this.#load(deploymentId);
    addToWindow(state.window, this.#options, nowMs, 'requests');
    if (accepted) addToWindow(state.window, this.#options, nowMs, 'accepts');
    this.#store.set(deploymentId, state);
  }

  recordOutcome(deploymentId: string, outcome: Outcome): void {
    this.record(deploymentId, isThrottleAccept(outcome));
  }

  /**
   * Forgets a deployment's history. The router calls it when the deployment's breaker closes after a
   * successful probe: the throttle counts its own local rejections as requests, so after a long outage
   * its window alone would keep most traffic away for minutes after the provider recovered.
   */
  reset(deploymentId: string): void {
    this.#store.delete(deploymentId);
  }

  /** The current local-rejection probability for a deployment, in [0, 1). */
  rejectProbability(deploymentId: string): number {
    return this.#probability(this.#load(deploymentId), this.#clock.now());
  }

  toJSON(): Record<string, AdaptiveThrottleState> {
    const result: Record<string, AdaptiveThrottleState> = {};
    for (const deploymentId of this.#store.keys()) result[deploymentId] = this.#load(deploymentId);
    return result;
  }

  #load(deploymentId: string): AdaptiveThrottleState {
    return this.#store.get(deploymentId) ?? { window: emptyWindow() };
  }

  #probability(state: AdaptiveThrottleState, nowMs: number): number {
    const { requests, accepts } = sumWindow(state.window, this.#options, nowMs, FIELDS);
    return Math.max(0, (requests - this.#options.k * accepts) / (requests + 1));
  }
}
