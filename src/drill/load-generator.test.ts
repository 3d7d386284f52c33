import { describe, expect, it } from 'vitest';
import { poissonSchedule, seededRandom } from './load-generator.js';

describe('poissonSchedule', () => {
  it('is open-loop: fixed in advance, near the asked rate, and the same for the same seed', () => {
    const a = poissonSchedule(20, 60_000, seededRandom(7));
    const b = poissonSchedule(20, 60_000, seededRandom(7));
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(1_100);
    expect(a.length).toBeLessThan(1_300);
    expect(a.every((t, i) => t >= 0 && t < 60_000 && (i === 0 || t >= a[i - 1]!))).toBe(true);
  });

  it('is bounded even for a degenerate random source', () => {
    expect(poissonSchedule(10, 1_000, () => 0).length).toBeLessThanOrEqual(120);
  });
});
