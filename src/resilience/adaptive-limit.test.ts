import { describe, expect, it } from 'vitest';
import { AdaptiveLimit } from './adaptive-limit.js';

describe('AdaptiveLimit', () => {
  it('admits up to the limit and frees slots on release', () => {
    const limit = new AdaptiveLimit({ initialLimit: 2 });
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.tryAcquire()).toBe(true);
    expect(limit.tryAcquire()).toBe(false);
    limit.release(undefined);
    expect(limit.tryAcquire()).toBe(true);
  });

  it('grows by about one per limit-worth of successes (additive increase)', () => {
    const limit = new AdaptiveLimit({ initialLimit: 10 });
    for (let i = 0; i < 10; i++) {
      limit.tryAcquire();
      limit.release('ok', 100);
    }
    expect(limit.limit).toBe(10);
    for (let i = 0; i < 10; i++) {
      limit.tryAcquire();
      limit.release('ok', 100);
    }
    expect(limit.limit).toBe(11);
  });

  it('shrinks by the backoff ratio on overload and on a first token far slower than the norm, never below the floor', () => {
    const limit = new AdaptiveLimit({ initialLimit: 100, minLimit: 5 });
    limit.tryAcquire();
    limit.release('overloaded');
    expect(limit.limit).toBe(90);
    for (let i = 0; i < 20; i++) {
      limit.tryAcquire();
      limit.release('ok', 100);
    }
    const before = limit.limit;
    limit.tryAcquire();
    limit.release('ok', 1000);
    expect(limit.limit).toBeLessThan(before);
    for (let i = 0; i < 100; i++) {
      limit.tryAcquire();
      limit.release('rate_limited');
    }
    expect(limit.limit).toBe(5);
  });

  it('ignores client errors and cancellations when adapting', () => {
    const limit = new AdaptiveLimit({ initialLimit: 10 });
    limit.tryAcquire();
    limit.release('bad_request');
    limit.tryAcquire();
    limit.release(undefined);
    expect(limit.limit).toBe(10);
    expect(limit.inFlight).toBe(0);
  });
});
