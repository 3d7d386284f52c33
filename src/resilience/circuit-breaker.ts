/**
 * A circuit breaker for one deployment: closed → open → half_open → closed. It opens on a run of
 * consecutive provider faults, or on a failure rate over a sliding window once the window holds enough
 * calls; stays open for a duration that doubles on each failed recovery (capped, jittered); then lets a
 * few probes through, and the first probe result decides: a success closes it, a fault re-opens it.
 *
 * Only provider faults (`isProviderFault`) are failures. Client errors (bad_request, auth,
 * context_length, content_filter) count as successes, as Envoy's outlier detection does (only 5xx and
 * gateway failures eject; any other response resets `consecutive_5xx` and counts as a success) and as
 * resilience4j does for exceptions outside `recordExceptions`: the provider answered, coherently and on
 * time, which is exactly what the breaker asks. Whether such a request could succeed is not its question.
 *
 * Every call result travels with the permit that allowed the call, so a result from before a state
 * change (a slow call that started while closed, a probe of an earlier half-open episode) cannot decide
 * the current state. All state lives in a `StateStore` as one JSON value per deployment.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { isProviderFault, type Outcome } from '../core/outcome.js';
import { RESILIENCE_DEFAULTS } from './defaults.js';
import { MemoryStateStore, type StateStore } from './state-store.js';
import { TypedEmitter, type Listener } from './typed-emitter.js';
import { addToWindow, emptyWindow, sumWindow, validateWindowShape } from './sliding-window.js';
import type {
  AcquireResult,
  CallField,
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerPermit,
  CircuitBreakerSnapshot,
  CircuitBreakerState,
  CircuitTransitionReason,
  CircuitStateChangeEvent,
} from './circuit-breaker-types.js';

export type {
  AcquireResult,
  CircuitBreakerEvents,
  CircuitBreakerOptions,
  CircuitBreakerPermit,
  CircuitBreakerSnapshot,
  CircuitBreakerState,
  CircuitStateName,
  CircuitTransitionReason,
  CircuitStateChangeEvent,
} from './circuit-breaker-types.js';

const FIELDS: readonly CallField[] = ['calls', 'failures'];

export class CircuitBreaker {
  readonly deploymentId: string;
  readonly #options: Omit<CircuitBreakerOptions, 'store'>;
  readonly #store: StateStore<CircuitBreakerSnapshot>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #events = new TypedEmitter<CircuitBreakerEvents>();

  constructor(
    deploymentId: string,
    options: Partial<CircuitBreakerOptions> = {},
    clock: Clock = systemClock,
    random: () => number = Math.random,
  ) {
    const { store, ...rest } = options;
    this.deploymentId = deploymentId;
    this.#options = { ...RESILIENCE_DEFAULTS.circuitBreaker, ...rest };
    validate(this.#options);
    this.#store = store ?? new MemoryStateStore();
    this.#clock = clock;
    this.#random = random;
  }

  on<K extends keyof CircuitBreakerEvents>(name: K, listener: Listener<CircuitBreakerEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /** The stored state (a copy). An `open` state past its `untilMs` turns half-open on the next call. */
  get state(): CircuitBreakerState {
    return structuredClone(this.#load().state);
  }

  /** True while the breaker refuses every call: open and not yet due for a probe, or forced open. */
  isOpen(): boolean {
    const { state } = this.#load();
    return state.state === 'forced_open' || (state.state === 'open' && this.#clock.now() < state.untilMs);
  }

  tryAcquire(): AcquireResult {
    const nowMs = this.#clock.now();
    const snapshot = this.#load();
    const { state } = snapshot;
    switch (state.state) {
      case 'closed':
        return { allowed: true, permit: this.#permit(snapshot, 'normal', nowMs) };
      case 'forced_open':
        return { allowed: false, retryAtMs: Number.POSITIVE_INFINITY };
      case 'open': {
        if (nowMs < state.untilMs) return { allowed: false, retryAtMs: state.untilMs };
        const halfOpen = {
          state: 'half_open' as const,
          enteredAtMs: nowMs,
          openCount: state.openCount,
          probesInFlight: 0,
          lastProbeAtMs: null,
        };
        this.#transition(snapshot, halfOpen, 'open_duration_elapsed', nowMs);
        return this.#admitProbe(snapshot, halfOpen, nowMs);
      }
      case 'half_open':
        return this.#admitProbe(snapshot, state, nowMs);
    }
  }

  /**
   * A permit for a call the breaker would refuse, when every deployment of a route is open and the
   * router must still try one (see `BreakerRegistry.leastRecentlyFailed`). State is unchanged; a success
   * closes the breaker, a fault only updates `lastFailureAtMs` (an extra fault must not lengthen the
   * open period the router chose to ignore). Ignored while forced open.
   */
  acquireLastResort(): CircuitBreakerPermit {
    return this.#permit(this.#load(), 'last_resort', this.#clock.now());
  }

  /**
   * A permit for a recovery probe while the breaker is open or half-open: state is unchanged; a success
   * closes the breaker at once (the deployment answered again), a fault only updates `lastFailureAtMs`.
   * Ignored while forced open.
   */
  acquireRecoveryProbe(): CircuitBreakerPermit {
    return this.#permit(this.#load(), 'recovery', this.#clock.now());
  }

  /**
   * Opens the breaker now, whatever its counts say, for a failure known to last (an exhausted quota):
   * retrying every request into it would fail them all for hours. Recovery probes close it when the
   * provider answers again. A breaker already open is left alone; one forced open too.
   */
  trip(reason: 'quota_exhausted'): void {
    const nowMs = this.#clock.now();
    const snapshot = this.#load();
    const { state } = snapshot;
    snapshot.lastFailureAtMs = nowMs;
    if (state.state === 'open' || state.state === 'forced_open') {
      this.#store.set(this.deploymentId, snapshot);
      return;
    }
    this.#open(snapshot, Math.max(1, state.state === 'half_open' ? state.openCount + 1 : 1), reason, nowMs);
  }

  onResult(permit: CircuitBreakerPermit, outcome: Outcome): void {
    this.#checkPermit(permit);
    const nowMs = this.#clock.now();
    const snapshot = this.#load();
    const fault = isProviderFault(outcome);
    if (fault) snapshot.lastFailureAtMs = nowMs;
    const { state } = snapshot;
    const current = permit.epoch === snapshot.epoch;
    switch (state.state) {
      case 'closed':
        // Any result counts while closed, even from an older epoch: it is a real call to this deployment.
        this.#recordClosed(snapshot, state, fault, nowMs);
        return;
      case 'half_open':
        if (current && permit.kind === 'probe') {
          if (fault) this.#open(snapshot, state.openCount + 1, 'probe_failed', nowMs);
          else this.#close(snapshot, 'probe_succeeded', nowMs);
          return;
        }
        break;
      case 'open':
      case 'forced_open':
        break;
    }
    if (!fault && (permit.kind === 'last_resort' || permit.kind === 'recovery') && state.state !== 'forced_open') {
      this.#close(snapshot, permit.kind === 'recovery' ? 'recovery_probe_succeeded' : 'last_resort_succeeded', nowMs);
      return;
    }
    this.#store.set(this.deploymentId, snapshot);
  }

  /** The call ended without an outcome (the client went away): frees a half-open probe slot. */
  release(permit: CircuitBreakerPermit): void {
    this.#checkPermit(permit);
    const snapshot = this.#load();
    const { state } = snapshot;
    if (state.state !== 'half_open' || permit.kind !== 'probe' || permit.epoch !== snapshot.epoch) return;
    state.probesInFlight = Math.max(0, state.probesInFlight - 1);
    this.#store.set(this.deploymentId, snapshot);
  }

  /**
   * Opens the breaker until `untilMs` because another replica's breaker for this deployment opened: closed
   * or half-open → open (in-flight probes lose their say, as on any state change). An open breaker that
   * would open for less is extended silently (no new event: it was already open); one open longer, one
   * forced open, or an `untilMs` already past is left alone. `openCount` (the sender's) keeps the doubling
   * of the next local opening in step with the cluster. Returns whether anything changed.
   */
  openUntil(untilMs: number, reason: 'remote', openCount = 1): boolean {
    const nowMs = this.#clock.now();
    const snapshot = this.#load();
    const { state } = snapshot;
    if (!(untilMs > nowMs) || state.state === 'forced_open') return false;
    if (state.state === 'open') {
      if (state.untilMs >= untilMs) return false;
      state.untilMs = untilMs;
      state.openCount = Math.max(state.openCount, openCount);
      this.#store.set(this.deploymentId, snapshot);
      return true;
    }
    const count = Math.max(1, openCount, state.state === 'half_open' ? state.openCount : 0);
    this.#transition(snapshot, { state: 'open', openedAtMs: nowMs, untilMs, openCount: count }, `${reason}_open`, nowMs);
    return true;
  }

  /**
   * Closes an open or half-open breaker because the replica that probes for the cluster saw the deployment
   * answer again. A closed or forced-open breaker is left alone. Returns whether anything changed.
   */
  recoveredElsewhere(): boolean {
    const snapshot = this.#load();
    const name = snapshot.state.state;
    if (name !== 'open' && name !== 'half_open') return false;
    this.#close(snapshot, 'remote_recovered', this.#clock.now());
    return true;
  }

  forceOpen(): void {
    const snapshot = this.#load();
    if (snapshot.state.state === 'forced_open') return;
    const nowMs = this.#clock.now();
    this.#transition(snapshot, { state: 'forced_open', openedAtMs: nowMs }, 'forced_open', nowMs);
  }

  /** Closes the breaker from any state and forgets its failures and open count. */
  forceClose(): void {
    const nowMs = this.#clock.now();
    const snapshot = this.#load();
    if (snapshot.state.state === 'closed') {
      snapshot.state = closedState();
      this.#store.set(this.deploymentId, snapshot);
      return;
    }
    this.#close(snapshot, 'forced_close', nowMs);
  }

  toJSON(): CircuitBreakerSnapshot {
    return structuredClone(this.#load());
  }

  #load(): CircuitBreakerSnapshot {
    return (
      this.#store.get(this.deploymentId) ?? {
        deploymentId: this.deploymentId,
        epoch: 0,
        lastFailureAtMs: null,
        state: closedState(),
      }
    );
  }

  #permit(snapshot: CircuitBreakerSnapshot, kind: CircuitBreakerPermit['kind'], nowMs: number): CircuitBreakerPermit {
    return { deploymentId: this.deploymentId, epoch: snapshot.epoch, kind, issuedAtMs: nowMs };
  }

  #checkPermit(permit: CircuitBreakerPermit): void {
    if (permit.deploymentId !== this.deploymentId) {
      throw new Error(`permit for ${permit.deploymentId} given to the breaker of ${this.deploymentId}`);
    }
  }

  #admitProbe(
    snapshot: CircuitBreakerSnapshot,
    state: Extract<CircuitBreakerState, { state: 'half_open' }>,
    nowMs: number,
  ): AcquireResult {
    const { halfOpenMaxProbes, halfOpenProbeTimeoutMs } = this.#options;
    // lastProbeAtMs is the newest probe: if even it is overdue, every probe in flight is presumed lost.
    const lost = state.lastProbeAtMs !== null && nowMs - state.lastProbeAtMs >= halfOpenProbeTimeoutMs;
    const inFlight = lost ? 0 : state.probesInFlight;
    if (inFlight >= halfOpenMaxProbes) {
      return { allowed: false, retryAtMs: (state.lastProbeAtMs ?? nowMs) + halfOpenProbeTimeoutMs };
    }
    state.probesInFlight = inFlight + 1;
    state.lastProbeAtMs = nowMs;
    this.#store.set(this.deploymentId, snapshot);
    return { allowed: true, permit: this.#permit(snapshot, 'probe', nowMs) };
  }

  #recordClosed(
    snapshot: CircuitBreakerSnapshot,
    state: Extract<CircuitBreakerState, { state: 'closed' }>,
    fault: boolean,
    nowMs: number,
  ): void {
    const shape = { windowMs: this.#options.failureRateWindowMs, bucketMs: this.#options.bucketMs };
    addToWindow(state.window, shape, nowMs, 'calls');
    if (!fault) {
      state.consecutiveFailures = 0;
      this.#store.set(this.deploymentId, snapshot);
      return;
    }
    addToWindow(state.window, shape, nowMs, 'failures');
    state.consecutiveFailures += 1;
    if (state.consecutiveFailures >= this.#options.consecutiveFailuresToOpen) {
      this.#open(snapshot, 1, 'consecutive_failures', nowMs);
      return;
    }
    const { calls, failures } = sumWindow(state.window, shape, nowMs, FIELDS);
    if (calls >= this.#options.minimumRequestsInWindow && failures / calls >= this.#options.failureRateThreshold) {
      this.#open(snapshot, 1, 'failure_rate', nowMs);
      return;
    }
    this.#store.set(this.deploymentId, snapshot);
  }

  #open(snapshot: CircuitBreakerSnapshot, openCount: number, reason: CircuitTransitionReason, nowMs: number): void {
    const untilMs = nowMs + this.#openDurationMs(openCount);
    this.#transition(snapshot, { state: 'open', openedAtMs: nowMs, untilMs, openCount }, reason, nowMs);
  }

  #close(snapshot: CircuitBreakerSnapshot, reason: CircuitTransitionReason, nowMs: number): void {
    this.#transition(snapshot, closedState(), reason, nowMs);
  }

  /** base · 2^(openCount−1), capped, then jittered: the cap bounds the nominal value, not the jitter. */
  #openDurationMs(openCount: number): number {
    const { openDurationBaseMs, openDurationMaxMs, openDurationJitterRatio } = this.#options;
    const nominalMs = Math.min(openDurationMaxMs, openDurationBaseMs * 2 ** Math.min(openCount - 1, 52));
    const draw = Math.min(Math.max(this.#random(), 0), 1);
    return Math.round(nominalMs * (1 + openDurationJitterRatio * (2 * draw - 1)));
  }

  #transition(
    snapshot: CircuitBreakerSnapshot,
    next: CircuitBreakerState,
    reason: CircuitTransitionReason,
    nowMs: number,
  ): void {
    const from = snapshot.state.state;
    snapshot.state = next;
    snapshot.epoch += 1;
    this.#store.set(this.deploymentId, snapshot);
    const event: CircuitStateChangeEvent = {
      deploymentId: this.deploymentId,
      from,
      to: next.state,
      atMs: nowMs,
      reason,
    };
    if (next.state === 'open') event.untilMs = next.untilMs;
    this.#events.emit('stateChange', event);
  }
}

function closedState(): CircuitBreakerState {
  return { state: 'closed', consecutiveFailures: 0, window: emptyWindow() };
}

function validate(o: Omit<CircuitBreakerOptions, 'store'>): void {
  const problems: string[] = [];
  if (!(o.consecutiveFailuresToOpen >= 1)) problems.push('consecutiveFailuresToOpen must be >= 1');
  if (!(o.failureRateThreshold > 0 && o.failureRateThreshold <= 1)) {
    problems.push('failureRateThreshold must be in (0, 1]');
  }
  if (!(o.minimumRequestsInWindow >= 1)) problems.push('minimumRequestsInWindow must be >= 1');
  if (!(o.openDurationBaseMs > 0)) problems.push('openDurationBaseMs must be > 0');
  if (!(o.openDurationMaxMs >= o.openDurationBaseMs)) {
    problems.push('openDurationMaxMs must be >= openDurationBaseMs');
  }
  if (!(o.openDurationJitterRatio >= 0 && o.openDurationJitterRatio < 1)) {
    problems.push('openDurationJitterRatio must be in [0, 1)');
  }
  if (!(o.halfOpenMaxProbes >= 1)) problems.push('halfOpenMaxProbes must be >= 1');
  if (!(o.halfOpenProbeTimeoutMs > 0)) problems.push('halfOpenProbeTimeoutMs must be > 0');
  if (problems.length > 0) throw new RangeError(`CircuitBreaker: ${problems.join('; ')}`);
  validateWindowShape({ windowMs: o.failureRateWindowMs, bucketMs: o.bucketMs }, 'CircuitBreaker');
}
