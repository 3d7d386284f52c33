/**
 * A retry budget per deployment (Envoy's `retry_budget`, Finagle's `RetryBudget`): retries are allowed
 * while the retries in a sliding window stay below `max(minRetriesPerWindow, ratio × requests)`. Retry
 * counts per request bound the cost of one request; only a budget bounds the cost of an outage, because
 * when every request fails, per-request retries multiply load exactly when the provider can least take it.
 *
 * The router calls `recordRequest` once per request routed to a deployment (its first attempt there, not
 * its retries) and `tryAcquireRetry` before each retry on that deployment.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { RESILIENCE_DEFAULTS } from './defaults.js';
import { MemoryStateStore, type StateStore } from './state-store.js';
import { TypedEmitter, type Listener } from './typed-emitter.js';
import { addToWindow, emptyWindow, sumWindow, validateWindowShape, type WindowState } from './sliding-window.js';

type BudgetField = 'requests' | 'retries';
const FIELDS: readonly BudgetField[] = ['requests', 'retries'];

export interface RetryBudgetState {
  window: WindowState<BudgetField>;
}

export interface RetryBudgetOptions {
  /** Retries allowed per request in the window (0.2 = 20%). */
  ratio: number;
  /** Retries always allowed per window, so a quiet deployment can still retry a blip. */
  minRetriesPerWindow: number;
  windowMs: number;
  bucketMs: number;
  store: StateStore<RetryBudgetState>;
}

export interface RetryBudgetUsage {
  requests: number;
  retries: number;
  /** `max(minRetriesPerWindow, ratio × requests)`: a retry is granted while `retries` is below it. */
  retriesAllowed: number;
}

export interface RetryDeniedEvent extends RetryBudgetUsage {
  deploymentId: string;
  atMs: number;
}

export interface RetryBudgetEvents extends Record<string, unknown> {
  retryDenied: RetryDeniedEvent;
}

export class RetryBudget {
  readonly #options: Omit<RetryBudgetOptions, 'store'>;
  readonly #store: StateStore<RetryBudgetState>;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<RetryBudgetEvents>();

  constructor(options: Partial<RetryBudgetOptions> = {}, clock: Clock = systemClock) {
    const { store, ...rest } = options;
    this.#options = { ...RESILIENCE_DEFAULTS.retryBudget, ...rest };
    if (!(this.#options.ratio >= 0) || !(this.#options.minRetriesPerWindow >= 0)) {
      throw new RangeError('RetryBudget: ratio and minRetriesPerWindow must be >= 0');
    }
    validateWindowShape(this.#options, 'RetryBudget');
    this.#store = store ?? new MemoryStateStore();
    this.#clock = clock;
  }

  on<K extends keyof RetryBudgetEvents>(name: K, listener: Listener<RetryBudgetEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  recordRequest(deploymentId: string): void {
    const state = this.#load(deploymentId);
    addToWindow(state.window, this.#options, this.#clock.now(), 'requests');
    this.#store.set(deploymentId, state);
  }

  /** True when a retry fits the budget; the retry is then counted against it. */
  tryAcquireRetry(deploymentId: string): boolean {
    const nowMs = this.#clock.now();
    const state = this.#load(deploymentId);
    const usage = this.#usage(state, nowMs);
    if (usage.retries >= usage.retriesAllowed) {
      this.#store.set(deploymentId, state);
      this.#events.emit('retryDenied', { deploymentId, atMs: nowMs, ...usage });
      return false;
    }
    addToWindow(state.window, this.#options, nowMs, 'retries');
    this.#store.set(deploymentId, state);
    return true;
  }

  /** Current usage per deployment, for telemetry and the admin API. */
  snapshot(): Record<string, RetryBudgetUsage> {
    const nowMs = this.#clock.now();
    const result: Record<string, RetryBudgetUsage> = {};
    for (const deploymentId of this.#store.keys()) {
      result[deploymentId] = this.#usage(this.#load(deploymentId), nowMs);
    }
    return result;
  }

  /** The raw per-deployment state, as a shared store would hold it. */
  toJSON(): Record<string, RetryBudgetState> {
    const result: Record<string, RetryBudgetState> = {};
    for (const deploymentId of this.#store.keys()) result[deploymentId] = this.#load(deploymentId);
    return result;
  }

  #load(deploymentId: string): RetryBudgetState {
    return this.#store.get(deploymentId) ?? { window: emptyWindow() };
  }

  #usage(state: RetryBudgetState, nowMs: number): RetryBudgetUsage {
    const { requests, retries } = sumWindow(state.window, this.#options, nowMs, FIELDS);
    const { ratio, minRetriesPerWindow } = this.#options;
    return { requests, retries, retriesAllowed: Math.max(minRetriesPerWindow, ratio * requests) };
  }
}
