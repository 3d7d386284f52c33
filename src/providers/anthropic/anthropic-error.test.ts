import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyAnthropicError, classifyAnthropicStreamError } from './anthropic-error.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const body = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_011' });

describe('classifyAnthropicError', () => {
  it.each([
    [529, 'overloaded_error', 'Overloaded', 'overloaded'],
    [500, 'overloaded_error', 'Overloaded', 'overloaded'],
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', 'rate_limited'],
    [500, 'api_error', 'Internal server error', 'server_error'],
    [504, 'timeout_error', 'Request timed out', 'timeout'],
    [400, 'invalid_request_error', 'messages: roles must alternate', 'bad_request'],
    [400, 'invalid_request_error', 'prompt is too long: 215093 tokens > 200000 maximum', 'context_length'],
    [400, 'invalid_request_error', 'Output blocked by content filtering policy', 'content_filter'],
    [401, 'authentication_error', 'invalid x-api-key', 'auth'],
    [403, 'permission_error', 'Your API key does not have permission', 'auth'],
    [402, 'billing_error', 'Your credit balance is too low', 'rate_limited'],
    [404, 'not_found_error', 'model: claude-nope', 'bad_request'],
    [413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', 'bad_request'],
  ])('HTTP %i %s → %s', (status, type, message, outcome) => {
    const failure = classifyAnthropicError(status, body(type, message), {}, Date.now());
    expect(failure).toMatchObject({ outcome, status, providerType: type, message });
  });

  it.each([
    [529, 'overloaded'],
    [503, 'overloaded'],
    [429, 'rate_limited'],
    [502, 'server_error'],
    [504, 'timeout'],
    [401, 'auth'],
    [400, 'bad_request'],
  ])('falls back on the status for a body that is not Anthropic JSON (%i → %s)', (status, outcome) => {
    const failure = classifyAnthropicError(status, '<html>Bad Gateway</html>', {}, Date.now());
    expect(failure.outcome).toBe(outcome);
    expect(failure.providerType).toBeUndefined();
    expect(failure.message).toContain('<html>Bad Gateway</html>');
  });

  it('reads retry-after (seconds or date)', () => {
    expect(classifyAnthropicError(429, body('rate_limit_error', 'slow down'), { 'retry-after': '12' }, 0).retryAfterMs).toBe(12_000);
    const now = Date.parse('2025-06-01T00:00:00Z');
    expect(classifyAnthropicError(529, body('overloaded_error', 'Overloaded'), { 'retry-after': 'Sun, 01 Jun 2025 00:00:05 GMT' }, now).retryAfterMs).toBe(5000);
    expect(classifyAnthropicError(429, body('rate_limit_error', 'slow down'), {}, 0).retryAfterMs).toBeUndefined();
  });

  it('never relays a key the provider echoed', () => {
    const failure = classifyAnthropicError(401, body('authentication_error', 'invalid x-api-key sk-ant-api03-abcdefghijklmnopqrstuvwxyz'), {}, 0);
    expect(failure.message).not.toContain('abcdefghijklmnop');
  });
});

describe('classifyAnthropicError: an account out of credit or over its spend limit', () => {
  it('a 400 "credit balance is too low" is not the client\'s fault: a rate limit that lasts, failed over', () => {
    const failure = classifyAnthropicError(400, fixture('credit-balance-too-low-error.json'), {}, 0);
    expect(failure).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true, status: 400, providerType: 'invalid_request_error' });
    expect(failure.message).toContain('credit balance is too low');
  });

  it('a 429 with details.error_code enforced_spend_limit_reached is exhausted for the month, not for a minute', () => {
    const failure = classifyAnthropicError(429, fixture('enforced-spend-limit-error.json'), { 'request-id': 'req_1' }, 0);
    expect(failure).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true, providerType: 'rate_limit_error', providerCode: 'enforced_spend_limit_reached' });
    expect(failure.retryAfterMs).toBeUndefined();
  });

  it.each([
    [429, 'rate_limit_error', 'contract_spend_limit_reached'],
    [402, 'billing_error', 'linked_organization_spend_limit_reached'],
  ])('HTTP %i %s with %s → exhausted', (status, type, errorCode) => {
    const json = JSON.stringify({ type: 'error', error: { type, message: 'limit reached', details: { error_code: errorCode } }, request_id: 'req_1' });
    expect(classifyAnthropicError(status, json, {}, 0)).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true, providerCode: errorCode });
  });

  it('a spend limit the organization set (400, documented message) is exhausted too', () => {
    const message = 'You have reached your specified API usage limits. You will regain access on 2026-01-01 at 00:00 UTC.';
    expect(classifyAnthropicError(400, body('invalid_request_error', message), {}, 0)).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true });
  });

  it('a per-minute rate limit, a ramp limit and a permission error are not', () => {
    const perMinute = classifyAnthropicError(
      429,
      body('rate_limit_error', 'This request would exceed the rate limit for your organization of 1,000,000 input tokens per minute.'),
      { 'retry-after': '12', 'anthropic-ratelimit-input-tokens-remaining': '0', 'anthropic-ratelimit-input-tokens-reset': '2026-12-03T08:30:12Z' },
      0,
    );
    expect(perMinute.outcome).toBe('rate_limited');
    expect(perMinute.quotaExhausted).toBeUndefined();
    expect(perMinute.rateLimitHeaders).toEqual({
      'retry-after': '12',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2026-12-03T08:30:12Z',
    });
    const ramp = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'ramp', details: { error_code: 'ramp_limit_exceeded' } } });
    expect(classifyAnthropicError(429, ramp, { 'retry-after': '30' }, 0).quotaExhausted).toBeUndefined();
    expect(classifyAnthropicError(403, body('permission_error', 'Your API key does not have permission'), {}, 0)).toMatchObject({ outcome: 'auth' });
  });

  it('an in-stream error naming the credit is exhausted as well', () => {
    const failure = classifyAnthropicStreamError({ type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API.' });
    expect(failure).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true });
  });
});

describe('classifyAnthropicStreamError', () => {
  it.each([
    ['overloaded_error', 'overloaded'],
    ['rate_limit_error', 'rate_limited'],
    ['api_error', 'server_error'],
    ['timeout_error', 'timeout'],
    [undefined, 'server_error'],
  ])('%s → %s, without a status', (type, outcome) => {
    const failure = classifyAnthropicStreamError({ type, message: 'boom' });
    expect(failure.outcome).toBe(outcome);
    expect(failure.status).toBeUndefined();
    if (type !== undefined) expect(failure.providerType).toBe(type);
  });
});
