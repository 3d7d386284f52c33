import { describe, expect, it } from 'vitest';
import { parseRetryAfterMs } from './retry-after.js';

describe('parseRetryAfterMs', () => {
  const nowMs = Date.parse('2025-01-01T00:00:00Z');

  it('reads integer seconds', () => {
    expect(parseRetryAfterMs({ 'retry-after': '20' }, nowMs)).toBe(20_000);
    expect(parseRetryAfterMs({ 'retry-after': '0' }, nowMs)).toBe(0);
  });

  it('tolerates fractional seconds some providers send', () => {
    expect(parseRetryAfterMs({ 'retry-after': '1.5' }, nowMs)).toBe(1_500);
  });

  it('prefers retry-after-ms (float milliseconds, OpenAI)', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '1234.5', 'retry-after': '2' }, nowMs)).toBe(1234.5);
  });

  it('falls back to retry-after when retry-after-ms is garbage', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': 'soon', 'retry-after': '2' }, nowMs)).toBe(2_000);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfterMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, nowMs)).toBe(30_000);
    // RFC 850 and asctime forms are still HTTP-dates.
    expect(parseRetryAfterMs({ 'retry-after': 'Wednesday, 01-Jan-25 00:00:10 GMT' }, nowMs)).toBe(10_000);
  });

  it('reads a past HTTP-date as "now"', () => {
    expect(parseRetryAfterMs({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, nowMs)).toBe(0);
  });

  it('ignores garbage and negative values', () => {
    for (const value of ['', 'soon', '-5', '1e3', '10s', 'NaN', 'Infinity', '0x10', '1,5', 'Wed, garbage']) {
      expect(parseRetryAfterMs({ 'retry-after': value }, nowMs), value).toBeUndefined();
    }
    expect(parseRetryAfterMs({ 'retry-after-ms': '-100' }, nowMs)).toBeUndefined();
    expect(parseRetryAfterMs({}, nowMs)).toBeUndefined();
    expect(parseRetryAfterMs({ 'retry-after': undefined }, nowMs)).toBeUndefined();
  });

  it('caps absurd values at 24 h', () => {
    expect(parseRetryAfterMs({ 'retry-after': '999999999' }, nowMs)).toBe(86_400_000);
    // So many digits that they overflow a double: still a (huge) number, still capped.
    expect(parseRetryAfterMs({ 'retry-after-ms': '1'.padEnd(400, '0') }, nowMs)).toBe(86_400_000);
    expect(parseRetryAfterMs({ 'retry-after': 'Fri, 01 Jan 2100 00:00:00 GMT' }, nowMs)).toBe(86_400_000);
  });

  it('matches header names case-insensitively and takes the first of repeated values', () => {
    expect(parseRetryAfterMs({ 'Retry-After': '3' }, nowMs)).toBe(3_000);
    expect(parseRetryAfterMs({ 'retry-after': ['4', '9'] }, nowMs)).toBe(4_000);
  });
});
