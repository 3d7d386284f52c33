import { describe, expect, it } from 'vitest';
import { OUTCOMES, type Outcome } from '../core/outcome.js';
import { decideRetry, type RetryDecision, type RetryDecisionInput } from './retry-policy.js';

function decide(outcome: Outcome, overrides: Partial<RetryDecisionInput> = {}): RetryDecision {
  return decideRetry({
    outcome,
    attemptOnDeployment: 1,
    maxAttemptsPerDeployment: 2,
    remainingDeadlineMs: 60_000,
    maxRetryAfterWaitMs: 10_000,
    backoffBaseMs: 500,
    backoffCapMs: 8_000,
    random: () => 0.5,
    ...overrides,
  });
}

describe('decideRetry', () => {
  const expected: Record<Outcome, RetryDecision> = {
    ok: { action: 'stop', reason: 'ok' },
    rate_limited: { action: 'retry', delayMs: 250 },
    overloaded: { action: 'retry', delayMs: 250 },
    server_error: { action: 'retry', delayMs: 250 },
    timeout: { action: 'failover', reason: 'timeout' },
    connect_error: { action: 'failover', reason: 'connect_error' },
    stream_cut: { action: 'retry', delayMs: 250 },
    bad_request: { action: 'stop', reason: 'client_error' },
    auth: { action: 'stop', reason: 'client_error' },
    context_length: { action: 'failover', reason: 'context_length' },
    content_filter: { action: 'stop', reason: 'client_error' },
  };

  it.each(OUTCOMES.map((outcome) => [outcome]))('decides %s on a first attempt', (outcome) => {
    expect(decide(outcome)).toEqual(expected[outcome]);
  });

  it.each(OUTCOMES.map((outcome) => [outcome]))('decides %s once attempts are exhausted', (outcome) => {
    const decision = decide(outcome, { attemptOnDeployment: 2 });
    const first = expected[outcome];
    expect(decision).toEqual(first.action === 'retry' ? { action: 'failover', reason: 'attempts_exhausted' } : first);
  });

  it('grows the delay with the attempt number', () => {
    const random = (): number => 0.999;
    const delays = [1, 2, 3].map((attempt) =>
      decide('server_error', { attemptOnDeployment: attempt, maxAttemptsPerDeployment: 10, random }),
    );
    expect(delays).toEqual([
      { action: 'retry', delayMs: 499 },
      { action: 'retry', delayMs: 999 },
      { action: 'retry', delayMs: 1998 },
    ]);
  });

  it('waits at least what Retry-After asked', () => {
    expect(decide('rate_limited', { retryAfterMs: 3_000 })).toEqual({ action: 'retry', delayMs: 3_000 });
    // A Retry-After shorter than the backoff does not shorten it.
    expect(decide('rate_limited', { retryAfterMs: 10 })).toEqual({ action: 'retry', delayMs: 250 });
  });

  it('fails over rather than wait out a Retry-After above the cap', () => {
    expect(decide('rate_limited', { retryAfterMs: 10_001 })).toEqual({ action: 'failover', reason: 'retry_after_too_long' });
    expect(decide('rate_limited', { retryAfterMs: 10_000 })).toEqual({ action: 'retry', delayMs: 10_000 });
  });

  it('fails over when the wait would use up the remaining deadline', () => {
    expect(decide('overloaded', { retryAfterMs: 5_000, remainingDeadlineMs: 5_000 })).toEqual({
      action: 'failover',
      reason: 'deadline_too_short',
    });
    expect(decide('server_error', { remainingDeadlineMs: 200 })).toEqual({ action: 'failover', reason: 'deadline_too_short' });
  });

  it('stops when the deadline is already spent, but a client error is still a client error', () => {
    expect(decide('server_error', { remainingDeadlineMs: 0 })).toEqual({ action: 'stop', reason: 'deadline_exceeded' });
    expect(decide('timeout', { remainingDeadlineMs: 0 })).toEqual({ action: 'stop', reason: 'deadline_exceeded' });
    expect(decide('bad_request', { remainingDeadlineMs: 0 })).toEqual({ action: 'stop', reason: 'client_error' });
  });

  it('never retries a timeout on the same deployment, even with attempts left', () => {
    expect(decide('timeout', { maxAttemptsPerDeployment: 5 })).toEqual({ action: 'failover', reason: 'timeout' });
  });
});
