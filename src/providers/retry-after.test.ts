import { describe, expect, it } from 'vitest';
import type { UpstreamFailure } from './types.js';
import { addRateLimitSignals, parseRetryAfterMs, pickRateLimitHeaders } from './retry-after.js';

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

describe('pickRateLimitHeaders', () => {
  it('keeps rate-limit headers only, lower-cased, first of repeated values', () => {
    const picked = pickRateLimitHeaders({
      'Retry-After': '20',
      'retry-after-ms': '19500.5',
      'x-ratelimit-remaining-requests': ['0', '5'],
      'x-ratelimit-reset-tokens': '6m0s',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2026-12-03T08:30:00Z',
      'set-cookie': 'session=secret',
      'x-request-id': 'req_1',
      'openai-organization': 'org-private',
    });
    expect(picked).toEqual({
      'retry-after': '20',
      'retry-after-ms': '19500.5',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-tokens': '6m0s',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2026-12-03T08:30:00Z',
    });
  });

  it('drops values that would be unsafe in a response header, and answers undefined when none is left', () => {
    expect(pickRateLimitHeaders({ 'retry-after': '1\r\nset-cookie: x=1', 'x-ratelimit-limit-requests': 'é' })).toBeUndefined();
    expect(pickRateLimitHeaders({ 'x-ratelimit-limit-requests': 'x'.repeat(201) })).toBeUndefined();
    expect(pickRateLimitHeaders({ 'content-type': 'application/json' })).toBeUndefined();
  });
});

describe('addRateLimitSignals', () => {
  const nowMs = Date.parse('2025-01-01T00:00:00Z');
  const rateLimited = (): UpstreamFailure => ({ outcome: 'rate_limited', message: 'slow down', status: 429 });

  it('a 429 asking for seconds is a blip: wait kept, headers carried, no quota mark', () => {
    const failure = addRateLimitSignals(rateLimited(), { 'retry-after': '20', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' }, nowMs);
    expect(failure.retryAfterMs).toBe(20_000);
    expect(failure.rateLimitHeaders).toEqual({ 'retry-after': '20', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' });
    expect(failure.quotaExhausted).toBeUndefined();
  });

  it('a 429 asking for an hour or more is an exhausted quota (Azure OpenAI asks for 86400 s)', () => {
    expect(addRateLimitSignals(rateLimited(), { 'retry-after': '86400' }, nowMs).quotaExhausted).toBe(true);
    expect(addRateLimitSignals(rateLimited(), { 'retry-after': '3599' }, nowMs).quotaExhausted).toBeUndefined();
  });

  it('an empty bucket alone is not an exhausted quota: its period is unknown (per minute at OpenAI)', () => {
    const empty = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '5h12m0s' };
    expect(addRateLimitSignals(rateLimited(), empty, nowMs).quotaExhausted).toBeUndefined();
  });

  it('keeps a wait the body already gave, and marks only rate limits', () => {
    const fromBody = { ...rateLimited(), retryAfterMs: 3_000 };
    expect(addRateLimitSignals(fromBody, { 'retry-after': '60' }, nowMs).retryAfterMs).toBe(3_000);
    const overloaded: UpstreamFailure = { outcome: 'overloaded', message: 'busy', status: 503 };
    const marked = addRateLimitSignals(overloaded, { 'retry-after': '86400' }, nowMs);
    expect(marked.quotaExhausted).toBeUndefined();
    expect(marked.retryAfterMs).toBe(86_400_000);
  });
});
