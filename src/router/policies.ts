/**
 * The per-deployment resilience state a router holds: one circuit breaker, retry budget and adaptive
 * throttle per deployment, shared by every route that uses it (a deployment that is down is down for
 * everyone), plus the latency tracker for least-latency plans. Built from the config's `resilience`
 * section; options left unset fall back to RESILIENCE_DEFAULTS, where each default says why.
 */
import type { Clock } from '../core/clock.js';
import { defined } from '../core/defined.js';
import type { KeelConfig } from '../config/schema.js';
import {
  AdaptiveLimit,
  AdaptiveThrottle,
  AdmissionQueue,
  BreakerRegistry,
  RESILIENCE_DEFAULTS,
  RetryBudget,
  type AdaptiveLimitOptions,
  type CircuitBreakerOptions,
  type RetryBudgetOptions,
} from '../resilience/index.js';
import { LatencyTracker } from './latency-tracker.js';
import type { RecoveryProbeSettings } from './recovery-prober.js';

export interface RouterPolicies {
  breakers: BreakerRegistry;
  budget: RetryBudget;
  /** Undefined when adaptive throttling is disabled in the config. */
  throttle: AdaptiveThrottle | undefined;
  latency: LatencyTracker;
  admission: AdmissionQueue;
  /** The adaptive concurrency limit of a deployment, made on first use. */
  limitFor(deploymentId: string): AdaptiveLimit;
}


export function createPolicies(settings: KeelConfig['resilience'], clock: Clock, random: () => number): RouterPolicies {
  const b = settings.breaker ?? {};
  const breakerOptions: Partial<CircuitBreakerOptions> = defined({
    consecutiveFailuresToOpen: b.consecutive_failures,
    failureRateThreshold: b.failure_rate,
    minimumRequestsInWindow: b.min_requests,
    failureRateWindowMs: b.window_ms,
    openDurationBaseMs: b.open_ms,
    openDurationMaxMs: b.max_open_ms,
    halfOpenMaxProbes: b.half_open_probes,
  });
  const rb = settings.retry_budget ?? {};
  const budgetOptions: Partial<RetryBudgetOptions> = defined({ ratio: rb.ratio, minRetriesPerWindow: rb.min_per_window, windowMs: rb.window_ms });
  const at = settings.adaptive_throttle ?? {};
  const breakers = new BreakerRegistry(breakerOptions, clock, random);
  const throttle = at.enabled === false ? undefined : new AdaptiveThrottle(defined({ k: at.k, windowMs: at.window_ms }), clock);
  // A breaker that closes has proven the deployment healthy again: start the throttle afresh too.
  breakers.on('stateChange', (event) => {
    if (event.to === 'closed') throttle?.reset(event.deploymentId);
  });
  const ad = settings.admission ?? {};
  const admission = new AdmissionQueue(
    {
      maxConcurrent: ad.max_concurrent ?? RESILIENCE_DEFAULTS.admission.maxConcurrent,
      maxQueue: ad.max_queue ?? RESILIENCE_DEFAULTS.admission.maxQueue,
      maxWaitMs: ad.max_wait_ms ?? RESILIENCE_DEFAULTS.admission.maxWaitMs,
    },
    clock,
  );
  const c = settings.concurrency ?? {};
  const limitOptions: Partial<AdaptiveLimitOptions> = defined({ initialLimit: c.initial, minLimit: c.min, maxLimit: c.max });
  const limits = new Map<string, AdaptiveLimit>();
  const limitFor = (deploymentId: string): AdaptiveLimit => {
    let limit = limits.get(deploymentId);
    if (limit === undefined) {
      limit = new AdaptiveLimit(limitOptions);
      limits.set(deploymentId, limit);
    }
    return limit;
  };
  return { breakers, budget: new RetryBudget(budgetOptions, clock), throttle, latency: new LatencyTracker(), admission, limitFor };
}

/** The recovery probes' settings: the config's `resilience.recovery_probe` over RESILIENCE_DEFAULTS. */
export function recoveryProbeSettings(settings: KeelConfig['resilience']): RecoveryProbeSettings {
  const r = settings.recovery_probe ?? {};
  return {
    ...RESILIENCE_DEFAULTS.recoveryProbe,
    ...defined({ enabled: r.enabled, intervalMs: r.interval_ms, maxPerDay: r.max_per_day, timeoutMs: r.timeout_ms }),
  };
}
