/**
 * The resilience policies the router runs around each upstream attempt: backoff and Retry-After,
 * retry decisions, retry budget, adaptive throttling, circuit breakers and request deadlines. They read
 * `Outcome`s and a `Clock`; they know nothing of HTTP or providers.
 */
export { RESILIENCE_DEFAULTS } from './defaults.js';
export { computeBackoffMs, type BackoffParams } from './backoff.js';
export {
  decideRetry,
  type FailoverReason,
  type RetryDecision,
  type RetryDecisionInput,
  type RetryStopReason,
} from './retry-policy.js';
export {
  RetryBudget,
  type RetryBudgetEvents,
  type RetryBudgetOptions,
  type RetryBudgetState,
  type RetryBudgetUsage,
  type RetryDeniedEvent,
} from './retry-budget.js';
export {
  AdaptiveThrottle,
  isThrottleAccept,
  type AdaptiveThrottleEvents,
  type AdaptiveThrottleOptions,
  type AdaptiveThrottleState,
  type ThrottleRejectedEvent,
} from './adaptive-throttle.js';
export {
  CircuitBreaker,
  type AcquireResult,
  type CircuitBreakerEvents,
  type CircuitBreakerOptions,
  type CircuitBreakerPermit,
  type CircuitBreakerSnapshot,
  type CircuitBreakerState,
  type CircuitStateChangeEvent,
  type CircuitStateName,
  type CircuitTransitionReason,
} from './circuit-breaker.js';
export { BreakerRegistry } from './breaker-registry.js';
export { Deadline, type DeadlineOptions, type TimeoutKind } from './deadline.js';
export { Abortable, signalOf, watchOf, watchSignal, type AbortWatch, type Cancellation } from './abort-watch.js';
export { MemoryStateStore, type StateStore } from './state-store.js';
export type { WindowBucket, WindowState } from './sliding-window.js';
export { TypedEmitter, type Listener } from './typed-emitter.js';
export { AdaptiveLimit, type AdaptiveLimitOptions } from './adaptive-limit.js';
export { AdmissionQueue, AdmissionRejected, PRIORITIES, type AdmissionOptions, type Priority } from './admission-queue.js';
