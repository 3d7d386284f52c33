/**
 * What to do after one attempt failed: retry the same deployment after a delay, fail over to the next
 * one, or stop. A pure function of the attempt's `Outcome` and the request's time left; it reads the
 * tables in core/outcome.ts and adds only what they cannot know (attempt counts, Retry-After, deadline).
 * The retry budget is a separate policy: the router asks it before acting on a `retry` decision.
 */
import { isFailoverable, isRetryable, type Outcome } from '../core/outcome.js';
import { computeBackoffMs } from './backoff.js';

export type RetryStopReason =
  /** The attempt succeeded: nothing to retry. */
  | 'ok'
  /** bad_request, auth, content_filter: the caller's problem; another attempt anywhere gets the same. */
  | 'client_error'
  /** The request's deadline is already spent: no attempt anywhere can finish in time. */
  | 'deadline_exceeded';

export type FailoverReason =
  /** A silent provider is not asked again (core/outcome.ts). */
  | 'timeout'
  /** A refused or reset connection: the next deployment answers sooner than a backoff would. */
  | 'connect_error'
  /** Only a deployment with a larger context window can help; the router filters for one. */
  | 'context_length'
  /** The same deployment failed `maxAttemptsPerDeployment` times. */
  | 'attempts_exhausted'
  /** The provider asked to wait longer than `maxRetryAfterWaitMs`. */
  | 'retry_after_too_long'
  /** Waiting out the delay would leave no time for the retry itself. */
  | 'deadline_too_short';

export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'failover'; reason: FailoverReason }
  | { action: 'stop'; reason: RetryStopReason };

export interface RetryDecisionInput {
  outcome: Outcome;
  /** 1-based number of the attempt on this deployment that produced `outcome`. */
  attemptOnDeployment: number;
  maxAttemptsPerDeployment: number;
  /** The provider's advice, as classified by the provider (`providers/retry-after.ts`). */
  retryAfterMs?: number | undefined;
  remainingDeadlineMs: number;
  maxRetryAfterWaitMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  random: () => number;
}

export function decideRetry(input: RetryDecisionInput): RetryDecision {
  const { outcome } = input;
  if (outcome === 'ok') return { action: 'stop', reason: 'ok' };
  if (!isRetryable(outcome) && !isFailoverable(outcome)) return { action: 'stop', reason: 'client_error' };
  if (input.remainingDeadlineMs <= 0) return { action: 'stop', reason: 'deadline_exceeded' };
  if (!isRetryable(outcome)) {
    // Failover-only outcomes; name them so the router can log and filter (context_length → larger window).
    return { action: 'failover', reason: outcome === 'context_length' || outcome === 'connect_error' ? outcome : 'timeout' };
  }
  if (input.attemptOnDeployment >= input.maxAttemptsPerDeployment) {
    return { action: 'failover', reason: 'attempts_exhausted' };
  }
  const { retryAfterMs } = input;
  if (retryAfterMs !== undefined && retryAfterMs > input.maxRetryAfterWaitMs) {
    return { action: 'failover', reason: 'retry_after_too_long' };
  }
  const backoffMs = computeBackoffMs({
    attempt: input.attemptOnDeployment,
    baseMs: input.backoffBaseMs,
    capMs: input.backoffCapMs,
    random: input.random,
  });
  // The provider knows its own recovery better than our backoff: never retry sooner than it asked.
  const delayMs = Math.max(backoffMs, retryAfterMs ?? 0);
  if (delayMs >= input.remainingDeadlineMs) return { action: 'failover', reason: 'deadline_too_short' };
  return { action: 'retry', delayMs };
}
