import { describe, expect, it } from 'vitest';
import { classifyOpenAIError } from './openai-error.js';

const body = (message: string, type: string | null, code: string | null, param: string | null = null) => JSON.stringify({ error: { message, type, param, code } });

describe('classifyOpenAIError', () => {
  it.each([
    [400, 'Invalid value for messages[0].role', 'invalid_request_error', null, 'bad_request'],
    [400, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130001 tokens.", 'invalid_request_error', 'context_length_exceeded', 'context_length'],
    [400, 'Invalid \'messages[0].content\': string too long.', 'invalid_request_error', 'string_above_max_length', 'context_length'],
    [400, 'Your request was rejected as a result of our safety system.', 'invalid_request_error', 'content_policy_violation', 'content_filter'],
    [401, 'Incorrect API key provided: sk-abc***xyz.', 'invalid_request_error', 'invalid_api_key', 'auth'],
    [403, 'Country, region, or territory not supported', 'request_forbidden', 'unsupported_country_region_territory', 'auth'],
    [404, 'The model `gpt-9` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found', 'bad_request'],
    [429, 'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.', 'tokens', 'rate_limit_exceeded', 'rate_limited'],
    [500, 'The server had an error while processing your request. Sorry about that!', 'server_error', null, 'server_error'],
    [503, 'The engine is currently overloaded, please try again later.', 'server_error', null, 'overloaded'],
    [504, 'Gateway timeout.', 'server_error', null, 'timeout'],
  ])('HTTP %i "%s" → %s', (status, message, type, code, outcome) => {
    const failure = classifyOpenAIError(status, body(message, type, code), {}, 0);
    expect(failure.outcome).toBe(outcome);
    expect(failure.status).toBe(status);
    expect(failure.providerType).toBe(type);
    if (code !== null) expect(failure.providerCode).toBe(code);
    expect(failure.quotaExhausted).toBeUndefined();
  });

  it('keeps the parameter at fault', () => {
    expect(classifyOpenAIError(400, body('Invalid type for temperature', 'invalid_request_error', 'invalid_type', 'temperature'), {}, 0).param).toBe('temperature');
  });

  it('falls back on the status for a body that is not OpenAI JSON, keeping the text', () => {
    const failure = classifyOpenAIError(502, '<html>Bad Gateway</html>', {}, 0);
    expect(failure).toMatchObject({ outcome: 'server_error', status: 502 });
    expect(failure.message).toContain('<html>Bad Gateway</html>');
    expect(classifyOpenAIError(400, 'prompt is too long for this model', {}, 0).outcome).toBe('context_length');
    expect(classifyOpenAIError(429, '', {}, 0)).toMatchObject({ outcome: 'rate_limited', message: 'provider answered HTTP 429' });
  });

  it('reads retry-after-ms before retry-after, and carries the rate-limit headers', () => {
    const headers = {
      'retry-after-ms': '1500',
      'retry-after': '2',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      'x-request-id': 'req_abc',
    };
    const failure = classifyOpenAIError(429, body('Rate limit reached', 'requests', 'rate_limit_exceeded'), headers, 0);
    expect(failure.retryAfterMs).toBe(1500);
    expect(failure.rateLimitHeaders).toEqual({
      'retry-after-ms': '1500',
      'retry-after': '2',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
    });
    expect(failure.quotaExhausted).toBeUndefined();
  });

  it('never relays a key the provider echoed', () => {
    const failure = classifyOpenAIError(401, body('Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz0123', 'invalid_request_error', 'invalid_api_key'), {}, 0);
    expect(failure.message).not.toContain('abcdefghijklmnop');
  });
});

describe('classifyOpenAIError: a quota used up is not a blip', () => {
  // As OpenAI answers an account with no credit left (platform.openai.com/docs/guides/error-codes).
  const insufficientQuota = body(
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    'insufficient_quota',
    'insufficient_quota',
  );

  it('429 insufficient_quota is a rate limit marked exhausted', () => {
    expect(classifyOpenAIError(429, insufficientQuota, {}, 0)).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true, providerType: 'insufficient_quota', providerCode: 'insufficient_quota' });
  });

  it('insufficient_quota from an OpenAI-compatible server with another status is still not the client\'s fault', () => {
    expect(classifyOpenAIError(403, insufficientQuota, {}, 0)).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true, status: 403 });
  });

  it('a per-day limit (RPD, TPD) is exhausted; a per-minute one is not', () => {
    const rpd = body('Rate limit reached for gpt-4o-mini in organization org-abc on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s.', 'requests', 'rate_limit_exceeded');
    expect(classifyOpenAIError(429, rpd, {}, 0)).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true });
    const tpd = body('Rate limit reached for gpt-4o in organization org-abc on tokens per day (TPD): Limit 90000, Used 89000, Requested 2000.', 'tokens', 'rate_limit_exceeded');
    expect(classifyOpenAIError(429, tpd, {}, 0).quotaExhausted).toBe(true);
    const rpm = body('Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.', 'requests', 'rate_limit_exceeded');
    expect(classifyOpenAIError(429, rpm, {}, 0).quotaExhausted).toBeUndefined();
  });

  it('a 429 that asks to wait a day (Azure OpenAI) is exhausted by its header alone', () => {
    const azure = body('Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-06-01 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 86400 seconds.', null, '429');
    const failure = classifyOpenAIError(429, azure, { 'retry-after': '86400', 'x-ratelimit-remaining-tokens': '0' }, 0);
    expect(failure).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true, retryAfterMs: 86_400_000 });
  });
});
