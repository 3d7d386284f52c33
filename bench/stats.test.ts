import { describe, expect, it } from 'vitest';
import { median } from './stats.js';

describe('median', () => {
  it('is the middle value of an odd count, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5])).toBe(5);
  });

  it('is the mean of the two middle values of an even count, not the upper one', () => {
    // 16 rounds, as the bench runs: the 8th and 9th values are 1.05 and 1.07.
    const ratios = [1.04, 1.01, 0.96, 1.09, 1.12, 1.05, 0.93, 1.07, 1.1, 1.09, 1.13, 1.04, 1.03, 0.96, 1.1, 1.09];
    expect(median(ratios)).toBeCloseTo(1.06, 10);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('leaves its input in its order', () => {
    const rounds = [3, 1, 2, 0];
    median(rounds);
    expect(rounds).toEqual([3, 1, 2, 0]);
  });

  it('is NaN for no rounds, so a missing figure never reads as a pass', () => {
    expect(median([])).toBeNaN();
  });
});
