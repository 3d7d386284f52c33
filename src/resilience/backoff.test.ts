import { describe, expect, it } from 'vitest';
import { computeBackoffMs, parseRetryAfter } from './backoff.js';

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

describe('parseRetryAfter', () => {
  const nowMs = Date.parse('2025-01-01T00:00:00Z');

  it('reads integer seconds', () => {
    expect(parseRetryAfter({ 'retry-after': '20' }, nowMs)).toBe(20_000);
    expect(parseRetryAfter({ 'retry-after': '0' }, nowMs)).toBe(0);
  });

  it('tolerates fractional seconds some providers send', () => {
    expect(parseRetryAfter({ 'retry-after': '1.5' }, nowMs)).toBe(1_500);
  });

  it('prefers retry-after-ms (float milliseconds, OpenAI)', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '1234.5', 'retry-after': '2' }, nowMs)).toBe(1234.5);
  });

  it('falls back to retry-after when retry-after-ms is garbage', () => {
    expect(parseRetryAfter({ 'retry-after-ms': 'soon', 'retry-after': '2' }, nowMs)).toBe(2_000);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, nowMs)).toBe(30_000);
    // RFC 850 and asctime forms are still HTTP-dates.
    expect(parseRetryAfter({ 'retry-after': 'Wednesday, 01-Jan-25 00:00:10 GMT' }, nowMs)).toBe(10_000);
  });

  it('reads a past HTTP-date as "now"', () => {
    expect(parseRetryAfter({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, nowMs)).toBe(0);
  });

  it('ignores garbage and negative values', () => {
    for (const value of ['', 'soon', '-5', '1e3', '10s', 'NaN', 'Infinity', '0x10', '1,5', 'Wed, garbage']) {
      expect(parseRetryAfter({ 'retry-after': value }, nowMs), value).toBeUndefined();
    }
    expect(parseRetryAfter({ 'retry-after-ms': '-100' }, nowMs)).toBeUndefined();
    expect(parseRetryAfter({}, nowMs)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': undefined }, nowMs)).toBeUndefined();
  });

  it('caps absurd values at 24 h', () => {
    expect(parseRetryAfter({ 'retry-after': '999999999' }, nowMs)).toBe(86_400_000);
    // So many digits that they overflow a double: still a (huge) number, still capped.
    expect(parseRetryAfter({ 'retry-after-ms': '1'.padEnd(400, '0') }, nowMs)).toBe(86_400_000);
    expect(parseRetryAfter({ 'retry-after': 'Fri, 01 Jan 2100 00:00:00 GMT' }, nowMs)).toBe(86_400_000);
  });

  it('matches header names case-insensitively and takes the first of repeated values', () => {
    expect(parseRetryAfter({ 'Retry-After': '3' }, nowMs)).toBe(3_000);
    expect(parseRetryAfter({ 'retry-after': ['4', '9'] }, nowMs)).toBe(4_000);
  });
});
