import { describe, expect, it } from 'vitest';
import { classifyAnthropicError, classifyAnthropicStreamError } from './anthropic-error.js';

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
    [402, 'billing_error', 'Your credit balance is too low', 'auth'],
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
