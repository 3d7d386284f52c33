/**
 * The policies together, the way the router will drive them: 1,000 requests against one deployment,
 * each allowed up to 3 attempts there. When the deployment fails every call, naive retries triple the
 * load on it; budget, throttle and breaker must hold it near one upstream attempt per request or below.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import type { Outcome } from '../core/outcome.js';
import { AdaptiveThrottle } from './adaptive-throttle.js';
import { CircuitBreaker, type CircuitBreakerPermit } from './circuit-breaker.js';
import { decideRetry } from './retry-policy.js';
import { RetryBudget } from './retry-budget.js';

const DEPLOYMENT = 'dep-a';
const REQUESTS = 1_000;
const REQUEST_SPACING_MS = 50;

interface Policies {
  budget?: RetryBudget;
  throttle?: AdaptiveThrottle;
  breaker?: CircuitBreaker;
}

function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Returns upstream attempts per request. */
function simulate(clock: ManualClock, random: () => number, policies: Policies, upstream: () => Outcome): number {
  const { budget, throttle, breaker } = policies;
  let attempts = 0;
  for (let request = 0; request < REQUESTS; request++) {
    clock.advance(REQUEST_SPACING_MS);
    for (let attempt = 1; ; attempt++) {
      let permit: CircuitBreakerPermit | undefined;
      if (breaker !== undefined) {
        const admission = breaker.tryAcquire();
        if (!admission.allowed) break; // the router would fail over
        permit = admission.permit;
      }
      if (throttle?.shouldReject(DEPLOYMENT, random)) {
        if (permit !== undefined) breaker?.release(permit);
        break;
      }
      if (attempt === 1) budget?.recordRequest(DEPLOYMENT);
      attempts++;
      const outcome = upstream();
      if (permit !== undefined) breaker?.onResult(permit, outcome);
      throttle?.recordOutcome(DEPLOYMENT, outcome);
      const decision = decideRetry({
        outcome,
        attemptOnDeployment: attempt,
        maxAttemptsPerDeployment: 3,
        remainingDeadlineMs: 60_000,
        maxRetryAfterWaitMs: 10_000,
        backoffBaseMs: 500,
        backoffCapMs: 8_000,
        random,
      });
      if (decision.action !== 'retry') break;
      if (budget !== undefined && !budget.tryAcquireRetry(DEPLOYMENT)) break;
      clock.advance(decision.delayMs);
    }
  }
  return attempts / REQUESTS;
}

function allPolicies(clock: ManualClock, random: () => number): Required<Policies> {
  return {
    budget: new RetryBudget({}, clock),
    throttle: new AdaptiveThrottle({}, clock),
    breaker: new CircuitBreaker(DEPLOYMENT, {}, clock, random),
  };
}

describe('outage simulation', () => {
  const failing = (): Outcome => 'server_error';

  it('naive retries multiply the load on a dead deployment (the baseline)', () => {
    const clock = new ManualClock();
    expect(simulate(clock, seededRandom(1), {}, failing)).toBe(3);
  });

  it('the retry budget alone holds it near 1.2 attempts per request', () => {
    const clock = new ManualClock();
    const perRequest = simulate(clock, seededRandom(2), { budget: new RetryBudget({}, clock) }, failing);
    expect(perRequest).toBeGreaterThan(1);
    expect(perRequest).toBeLessThan(1.3);
  });

  it('the adaptive throttle alone sheds most of the load', () => {
    const clock = new ManualClock();
    const perRequest = simulate(clock, seededRandom(3), { throttle: new AdaptiveThrottle({}, clock) }, failing);
    expect(perRequest).toBeLessThan(1.3);
  });

  it('budget + throttle + breaker keep a 100%-failing deployment under 1.3 attempts per request', () => {
    const clock = new ManualClock();
    const random = seededRandom(4);
    const policies = allPolicies(clock, random);
    const perRequest = simulate(clock, random, policies, failing);
    expect(perRequest).toBeLessThan(1.3);
    // With the breaker open most of the time, far fewer: the first 5 failures, then probes.
    expect(perRequest).toBeLessThan(0.1);
    expect(policies.breaker.state.state).not.toBe('closed');
  });

  it('a healthy deployment gets exactly one attempt per request and nothing refused', () => {
    const clock = new ManualClock();
    const random = seededRandom(5);
    const policies = allPolicies(clock, random);
    expect(simulate(clock, random, policies, () => 'ok')).toBe(1);
    expect(policies.breaker.state.state).toBe('closed');
    expect(policies.throttle.rejectProbability(DEPLOYMENT)).toBe(0);
  });

  it('recovers: after the outage ends, traffic flows again once the breaker probes', () => {
    const clock = new ManualClock();
    const random = seededRandom(6);
    const policies = allPolicies(clock, random);
    simulate(clock, random, policies, failing);
    // The throttle's two-minute memory and the breaker's open period both have to pass.
    clock.advance(10 * 60 * 1000);
    const perRequest = simulate(clock, random, policies, () => 'ok');
    expect(perRequest).toBeGreaterThan(0.99);
    expect(policies.breaker.state.state).toBe('closed');
  });
});
