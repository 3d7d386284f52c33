import { describe, expect, it } from 'vitest';
import { formatDuration, rateLimitHeaders } from './rate-limit-headers.js';

const state = (limit: number, remaining: number, resetMs: number) => ({ id: 'k', limit, remaining, resetMs, retryAfterMs: 0 });

describe('rateLimitHeaders', () => {
  it("gives a key with both limits OpenAI's six headers, and a key with one limit its three", () => {
    expect(rateLimitHeaders([{ kind: 'requests' }, { kind: 'tokens' }], [state(60, 59, 1_000), state(40_000, 39_000, 90_000)])).toEqual({
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-limit-tokens': '40000',
      'x-ratelimit-remaining-tokens': '39000',
      'x-ratelimit-reset-tokens': '1m30s',
    });
    expect(rateLimitHeaders([{ kind: 'tokens' }], [state(500, 0, 20)])).toEqual({
      'x-ratelimit-limit-tokens': '500',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '20ms',
    });
    expect(rateLimitHeaders([], [])).toEqual({});
  });

  it("writes durations in OpenAI's style", () => {
    expect([0.2, 999, 1_000, 1_550, 59_999, 60_000, 361_000].map(formatDuration)).toEqual(['1ms', '999ms', '1s', '1.6s', '60s', '1m0s', '6m1s']);
  });
});
