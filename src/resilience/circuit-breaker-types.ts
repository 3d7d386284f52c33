/**
 * The shapes a circuit breaker is made of and talks in: its state (a serialisable discriminated union, as a
 * shared store holds it), the permit a call carries, why it changed state, its events and its options.
 * Kept apart from the breaker's logic (circuit-breaker.ts) so both stay readable.
 */
import type { StateStore } from './state-store.js';
import type { WindowState } from './sliding-window.js';

export type CallField = 'calls' | 'failures';

export type CircuitBreakerState =
  | { state: 'closed'; consecutiveFailures: number; window: WindowState<CallField> }
  | { state: 'open'; openedAtMs: number; untilMs: number; openCount: number }
  | {
      state: 'half_open';
      enteredAtMs: number;
      /** How many times it opened since it was last closed; the next open doubles from here. */
      openCount: number;
      probesInFlight: number;
      lastProbeAtMs: number | null;
    }
  /** Held open by an operator (`forceOpen`) until `forceClose`; no probes, no timers. */
  | { state: 'forced_open'; openedAtMs: number };

export type CircuitStateName = CircuitBreakerState['state'];

/** Everything a breaker knows, as a shared store holds it. */
export interface CircuitBreakerSnapshot {
  deploymentId: string;
  /** Bumped on every state change; permits from an older epoch do not decide the current state. */
  epoch: number;
  /** The last provider fault seen, whatever the state: `BreakerRegistry.leastRecentlyFailed` reads it. */
  lastFailureAtMs: number | null;
  state: CircuitBreakerState;
}

export interface CircuitBreakerPermit {
  readonly deploymentId: string;
  readonly epoch: number;
  /**
   * `last_resort`: issued by `acquireLastResort` while the breaker would refuse; `recovery`: issued by
   * `acquireRecoveryProbe` for a synthetic probe of an open breaker. A success of either closes it.
   */
  readonly kind: 'normal' | 'probe' | 'last_resort' | 'recovery';
  readonly issuedAtMs: number;
}

export type AcquireResult =
  | { allowed: true; permit: CircuitBreakerPermit }
  /** `retryAtMs` is when a call may be admitted at the earliest; Infinity while forced open. */
  | { allowed: false; retryAtMs: number };

export type CircuitTransitionReason =
  | 'consecutive_failures'
  | 'failure_rate'
  | 'open_duration_elapsed'
  | 'probe_succeeded'
  | 'probe_failed'
  | 'last_resort_succeeded'
  /** A recovery probe (a tiny synthetic request sent while open) was answered. */
  | 'recovery_probe_succeeded'
  /** The provider said its quota is exhausted: not a blip, so no more calls until a probe succeeds. */
  | 'quota_exhausted'
  | 'forced_open'
  | 'forced_close'
  /** Another replica saw this deployment fail and shared its opening (`openUntil`). */
  | 'remote_open'
  /** Another replica's recovery probe was answered (`recoveredElsewhere`). */
  | 'remote_recovered';

export interface CircuitStateChangeEvent {
  deploymentId: string;
  from: CircuitStateName;
  to: CircuitStateName;
  atMs: number;
  reason: CircuitTransitionReason;
  /** Set when `to` is `open`: when it will let a probe through. */
  untilMs?: number;
}

export interface CircuitBreakerEvents extends Record<string, unknown> {
  stateChange: CircuitStateChangeEvent;
}

export interface CircuitBreakerOptions {
  consecutiveFailuresToOpen: number;
  /** Failure share in the window (0.5 = 50%) at or above which it opens. */
  failureRateThreshold: number;
  failureRateWindowMs: number;
  /** Calls the window must hold before the failure rate is trusted. */
  minimumRequestsInWindow: number;
  bucketMs: number;
  openDurationBaseMs: number;
  openDurationMaxMs: number;
  /** The open duration is scaled by a uniform factor in [1 − ratio, 1 + ratio]. */
  openDurationJitterRatio: number;
  halfOpenMaxProbes: number;
  /** After this long without a result, half-open probes are presumed lost and new ones admitted. */
  halfOpenProbeTimeoutMs: number;
  /** Shared by every breaker of a registry; keyed by deployment id. */
  store: StateStore<CircuitBreakerSnapshot>;
}
