/**
 * One circuit breaker per deployment, created on first use with shared options, clock, random source
 * and state store. Telemetry, health and the status page subscribe here once instead of to each
 * breaker. It also answers the router's two planning questions: is this deployment's breaker refusing
 * calls, and when all of a route's breakers are, which deployment should get the last-resort attempt.
 */
import { systemClock, type Clock } from '../core/clock.js';
import {
  CircuitBreaker,
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
} from './circuit-breaker.js';
import { MemoryStateStore } from './state-store.js';
import { TypedEmitter, type Listener } from './typed-emitter.js';

export class BreakerRegistry {
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #options: Partial<CircuitBreakerOptions>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #events = new TypedEmitter<CircuitBreakerEvents>();

  constructor(
    options: Partial<CircuitBreakerOptions> = {},
    clock: Clock = systemClock,
    random: () => number = Math.random,
  ) {
    // One store for all breakers, so a shared store replaces the state of the whole registry at once.
    this.#options = { ...options, store: options.store ?? new MemoryStateStore<CircuitBreakerSnapshot>() };
    this.#clock = clock;
    this.#random = random;
  }

  /** Every breaker's state changes, forwarded. */
  on<K extends keyof CircuitBreakerEvents>(name: K, listener: Listener<CircuitBreakerEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  get(deploymentId: string): CircuitBreaker {
    let breaker = this.#breakers.get(deploymentId);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(deploymentId, this.#options, this.#clock, this.#random);
      breaker.on('stateChange', (event) => this.#events.emit('stateChange', event));
      this.#breakers.set(deploymentId, breaker);
    }
    return breaker;
  }

  /** True while the deployment's breaker refuses every call (open and not yet due a probe, or forced). */
  isOpen(deploymentId: string): boolean {
    return this.get(deploymentId).isOpen();
  }

  /**
   * Of `deploymentIds`, the one whose last provider fault is oldest (one that never failed first); ties
   * keep the caller's order, which is the route's priority. Deployments forced open by an operator are
   * never chosen. Undefined when none is eligible. Call `acquireLastResort` on its breaker to try it.
   */
  leastRecentlyFailed(deploymentIds: readonly string[]): string | undefined {
    let best: { id: string; lastFailureAtMs: number } | undefined;
    for (const id of deploymentIds) {
      const snapshot = this.get(id).toJSON();
      if (snapshot.state.state === 'forced_open') continue;
      const lastFailureAtMs = snapshot.lastFailureAtMs ?? Number.NEGATIVE_INFINITY;
      if (best === undefined || lastFailureAtMs < best.lastFailureAtMs) best = { id, lastFailureAtMs };
    }
    return best?.id;
  }

  toJSON(): Record<string, CircuitBreakerSnapshot> {
    const result: Record<string, CircuitBreakerSnapshot> = {};
    for (const [id, breaker] of this.#breakers) result[id] = breaker.toJSON();
    return result;
  }
}
