import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyGeminiError, classifyGeminiStreamError } from './gemini-error.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const body = (code: number, status: string, message: string, details?: unknown[]) =>
  JSON.stringify({ error: { code, message, status, ...(details === undefined ? {} : { details }) } });

describe('classifyGeminiError', () => {
  it.each([
    [429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', 'rate_limited'],
    [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.', 'overloaded'],
    [500, 'INTERNAL', 'An internal error has occurred.', 'server_error'],
    [504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.', 'timeout'],
    [400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', 'bad_request'],
    [400, 'INVALID_ARGUMENT', 'The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).', 'context_length'],
    [400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', 'auth'],
    [400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.', 'bad_request'],
    [401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.', 'auth'],
    [403, 'PERMISSION_DENIED', 'The caller does not have permission', 'auth'],
    [404, 'NOT_FOUND', 'models/gemini-9 is not found for API version v1beta', 'bad_request'],
  ])('HTTP %i %s → %s', (status, name, message, outcome) => {
    const failure = classifyGeminiError(status, body(status, name, message), {}, 0);
    expect(failure).toMatchObject({ outcome, status, providerType: name, providerCode: String(status), message });
  });

  it('reads the wait from RetryInfo, else from retry-after', () => {
    const retryInfo = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }];
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', 'quota', retryInfo), { 'retry-after': '60' }, 0).retryAfterMs).toBe(3000);
    const fractional = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.25s' }];
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', 'quota', fractional), {}, 0).retryAfterMs).toBe(250);
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', 'quota'), { 'retry-after': '7' }, 0).retryAfterMs).toBe(7000);
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', 'quota'), {}, 0).retryAfterMs).toBeUndefined();
  });

  it('knows an invalid key by its ErrorInfo reason', () => {
    const details = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }];
    expect(classifyGeminiError(400, body(400, 'INVALID_ARGUMENT', 'Bad key', details), {}, 0).outcome).toBe('auth');
  });

  it('falls back on the status for a body that is not a Google error, and reads the array form', () => {
    expect(classifyGeminiError(502, '<html>Bad Gateway</html>', {}, 0)).toMatchObject({ outcome: 'server_error', status: 502 });
    expect(classifyGeminiError(429, 'slow down', {}, 0).outcome).toBe('rate_limited');
    expect(classifyGeminiError(503, `[${body(503, 'UNAVAILABLE', 'overloaded')}]`, {}, 0)).toMatchObject({ outcome: 'overloaded', providerType: 'UNAVAILABLE' });
  });

  it('never relays a key the provider echoed', () => {
    const failure = classifyGeminiError(400, body(400, 'INVALID_ARGUMENT', 'API key not valid: AIzaSyA1234567890abcdefghijklmnop'), {}, 0);
    expect(failure.message).not.toContain('AIzaSyA1234567890');
  });
});

describe('classifyGeminiError: a per-day quota is not a blip', () => {
  it('RESOURCE_EXHAUSTED on GenerateRequestsPerDayPerProjectPerModel is exhausted, though RetryInfo says 28 s', () => {
    const failure = classifyGeminiError(429, fixture('quota-per-day-error.json'), {}, 0);
    expect(failure).toMatchObject({ outcome: 'rate_limited', quotaExhausted: true, providerType: 'RESOURCE_EXHAUSTED', retryAfterMs: 28_000 });
  });

  it('RESOURCE_EXHAUSTED on a per-minute quota is a plain rate limit', () => {
    const failure = classifyGeminiError(429, fixture('quota-per-minute-error.json'), {}, 0);
    expect(failure).toMatchObject({ outcome: 'rate_limited', retryAfterMs: 41_000 });
    expect(failure.quotaExhausted).toBeUndefined();
  });

  it('knows a per-day quota by its metric, by ErrorInfo metadata, or by a Vertex message', () => {
    const byMetric = [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model_per_day', quotaId: 'GenerateRequestsPerDayPerProjectPerModel' }] }];
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.', byMetric), {}, 0).quotaExhausted).toBe(true);
    const byInfo = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata: { quota_metric: 'cloudcode-pa.googleapis.com/gemini_2_5_pro_requests', quota_limit: 'Gemini25ProRequestsPerDayPerUserPerTier' } }];
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', byInfo), {}, 0).quotaExhausted).toBe(true);
    const vertexDay = 'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_day_per_project_per_base_model with base model: gemini-2.5-pro.';
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', vertexDay), {}, 0).quotaExhausted).toBe(true);
    const vertexMinute = 'Quota exceeded for aiplatform.googleapis.com/generate_content_requests_per_minute_per_project_per_base_model with base model: gemini-pro. Please submit a quota increase request.';
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', vertexMinute), {}, 0).quotaExhausted).toBeUndefined();
    expect(classifyGeminiError(429, body(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'), {}, 0).quotaExhausted).toBeUndefined();
  });

  it('only a rate limit can be an exhausted quota', () => {
    const details = [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel' }] }];
    expect(classifyGeminiError(400, body(400, 'INVALID_ARGUMENT', 'bad', details), {}, 0).quotaExhausted).toBeUndefined();
  });
});

describe('classifyGeminiStreamError', () => {
  it('classifies an error chunk by its status name, without an HTTP status', () => {
    const failure = classifyGeminiStreamError({ code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' });
    expect(failure).toEqual({ outcome: 'overloaded', message: 'The model is overloaded.', providerType: 'UNAVAILABLE', providerCode: '503' });
    expect(classifyGeminiStreamError({ code: 500, status: 'INTERNAL' }).outcome).toBe('server_error');
    expect(classifyGeminiStreamError({}).outcome).toBe('server_error');
  });
});
