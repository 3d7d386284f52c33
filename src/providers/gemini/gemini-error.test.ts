import { describe, expect, it } from 'vitest';
import { classifyGeminiError, classifyGeminiStreamError } from './gemini-error.js';

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

describe('classifyGeminiStreamError', () => {
  it('classifies an error chunk by its status name, without an HTTP status', () => {
    const failure = classifyGeminiStreamError({ code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' });
    expect(failure).toEqual({ outcome: 'overloaded', message: 'The model is overloaded.', providerType: 'UNAVAILABLE', providerCode: '503' });
    expect(classifyGeminiStreamError({ code: 500, status: 'INTERNAL' }).outcome).toBe('server_error');
    expect(classifyGeminiStreamError({}).outcome).toBe('server_error');
  });
});
