import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { RetryBudget, type RetryBudgetState, type RetryDeniedEvent } from './retry-budget.js';
import { MemoryStateStore } from './state-store.js';

function grantedRetries(budget: RetryBudget, id: string, tries: number): number {
  let granted = 0;
  for (let i = 0; i < tries; i++) if (budget.tryAcquireRetry(id)) granted++;
  return granted;
}

describe('RetryBudget', () => {
  it('grants the floor of retries on a quiet deployment', () => {
    const budget = new RetryBudget({}, new ManualClock());
    expect(grantedRetries(budget, 'a', 10)).toBe(3);
  });

  it('grants 20% of requests once that exceeds the floor', () => {
    const budget = new RetryBudget({}, new ManualClock());
    for (let i = 0; i < 100; i++) budget.recordRequest('a');
    expect(grantedRetries(budget, 'a', 100)).toBe(20);
    expect(budget.snapshot()).toEqual({ a: { requests: 100, retries: 20, retriesAllowed: 20 } });
  });

  it('keeps the floor when 20% of requests is below it', () => {
    const budget = new RetryBudget({}, new ManualClock());
    for (let i = 0; i < 10; i++) budget.recordRequest('a');
    expect(grantedRetries(budget, 'a', 10)).toBe(3);
  });

  it('allows a fractional share: retries < ratio × requests', () => {
    const budget = new RetryBudget({ minRetriesPerWindow: 0 }, new ManualClock());
    for (let i = 0; i < 24; i++) budget.recordRequest('a'); // 4.8 allowed
    expect(grantedRetries(budget, 'a', 10)).toBe(5);
  });

  it('keeps each deployment to its own budget', () => {
    const budget = new RetryBudget({}, new ManualClock());
    for (let i = 0; i < 50; i++) budget.recordRequest('a');
    expect(grantedRetries(budget, 'a', 100)).toBe(10);
    expect(grantedRetries(budget, 'b', 100)).toBe(3);
  });

  it('frees budget as the window slides', () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({}, clock);
    for (let i = 0; i < 50; i++) budget.recordRequest('a');
    expect(grantedRetries(budget, 'a', 100)).toBe(10);
    clock.advance(5_000);
    for (let i = 0; i < 50; i++) budget.recordRequest('a');
    // 100 requests and 10 retries in the window: 10 more.
    expect(grantedRetries(budget, 'a', 100)).toBe(10);
    clock.advance(5_000);
    // The first 50 requests and 10 retries left the window: 50 requests, 10 retries → none left.
    expect(budget.snapshot().a).toEqual({ requests: 50, retries: 10, retriesAllowed: 10 });
    expect(budget.tryAcquireRetry('a')).toBe(false);
    clock.advance(5_000);
    expect(budget.snapshot().a).toEqual({ requests: 0, retries: 0, retriesAllowed: 3 });
    expect(grantedRetries(budget, 'a', 10)).toBe(3);
  });

  it('emits retryDenied with the arithmetic behind it', () => {
    const clock = new ManualClock(1_000);
    const budget = new RetryBudget({}, clock);
    const events: RetryDeniedEvent[] = [];
    budget.on('retryDenied', (event) => events.push(event));
    grantedRetries(budget, 'a', 4);
    expect(events).toEqual([{ deploymentId: 'a', atMs: 1_000, requests: 0, retries: 3, retriesAllowed: 3 }]);
  });

  it('keeps its state in the store it is given, as JSON', () => {
    const store = new MemoryStateStore<RetryBudgetState>();
    const budget = new RetryBudget({ store }, new ManualClock());
    budget.recordRequest('a');
    expect([...store.keys()]).toEqual(['a']);
    expect(JSON.parse(JSON.stringify(budget))).toEqual({ a: { window: { buckets: [{ startMs: 0, counts: { requests: 1 } }] } } });
  });

  it('rejects nonsense options', () => {
    expect(() => new RetryBudget({ ratio: -1 })).toThrow(RangeError);
    expect(() => new RetryBudget({ windowMs: 500, bucketMs: 1_000 })).toThrow(RangeError);
  });
});
