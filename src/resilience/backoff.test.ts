import { describe, expect, it } from 'vitest';
import { computeBackoffMs } from './backoff.js';

const fixed = (value: number) => () => value;

describe('computeBackoffMs', () => {
  it('doubles the ceiling with each retry (random at its top)', () => {
    const almostOne = fixed(0.999_999_9);
    const ceilings = [1, 2, 3, 4, 5].map((attempt) =>
      computeBackoffMs({ attempt, baseMs: 100, capMs: 100_000, random: almostOne }),
    );
    expect(ceilings).toEqual([99, 199, 399, 799, 1599]);
  });

  it('never exceeds the cap, however many retries', () => {
    for (const attempt of [1, 5, 10, 50, 1000, 10_000]) {
      const delayMs = computeBackoffMs({ attempt, baseMs: 500, capMs: 8_000, random: fixed(1) });
      expect(delayMs).toBeLessThanOrEqual(8_000);
    }
    expect(computeBackoffMs({ attempt: 1000, baseMs: 500, capMs: 8_000, random: fixed(1) })).toBe(8_000);
  });

  it('uses the full jitter range [0, ceiling)', () => {
    expect(computeBackoffMs({ attempt: 3, baseMs: 500, capMs: 8_000, random: fixed(0) })).toBe(0);
    expect(computeBackoffMs({ attempt: 3, baseMs: 500, capMs: 8_000, random: fixed(0.5) })).toBe(1_000);
    let seed = 42;
    const lcg = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const draws = Array.from({ length: 2_000 }, () => computeBackoffMs({ attempt: 3, baseMs: 500, capMs: 8_000, random: lcg }));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(2_000);
    // Full jitter spreads over the whole interval, not a band near its top.
    expect(Math.min(...draws)).toBeLessThan(100);
    expect(Math.max(...draws)).toBeGreaterThan(1_900);
  });

  it('clamps a misbehaving random source into range', () => {
    expect(computeBackoffMs({ attempt: 1, baseMs: 500, capMs: 8_000, random: fixed(7) })).toBe(500);
    expect(computeBackoffMs({ attempt: 1, baseMs: 500, capMs: 8_000, random: fixed(-1) })).toBe(0);
  });

  it('rejects an attempt number below 1', () => {
    expect(() => computeBackoffMs({ attempt: 0, baseMs: 500, capMs: 8_000, random: fixed(0.5) })).toThrow(RangeError);
  });
});
