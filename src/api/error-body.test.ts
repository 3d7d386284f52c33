/**
 * Error answers as a client's SDK reads them: the "every deployment failed" error must be a 503 with a
 * Retry-After and Keel's stable code where each SDK looks for one, never something an SDK takes for the
 * client's own rate limit; an upstream's rate-limit headers are passed on beside Keel's, never over them.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { KeelError } from '../core/errors.js';
import { errorAnswer } from './error-body.js';

const allFailed = (options: ConstructorParameters<typeof KeelError>[2] = {}) =>
  new KeelError('all_deployments_failed', 'Every deployment failed (a: rate_limited, b: overloaded). Last error: Overloaded', {
    attempts: [
      { deployment: 'a', outcome: 'rate_limited', status: 429, latencyMs: 12 },
      { deployment: 'b', outcome: 'overloaded', status: 529, latencyMs: 30 },
    ],
    retryAfterS: 7,
    ...options,
  });

describe('errorAnswer: every deployment failed', () => {
  it('is a 503 with Retry-After and code all_deployments_failed for an OpenAI client', () => {
    const answer = errorAnswer(allFailed(), 'openai', 'req_1');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.body).toMatchObject({ error: { type: 'server_error', code: 'all_deployments_failed', param: null } });
    const sdkError = OpenAI.APIError.generate(answer.status, answer.body, undefined, new Headers(answer.headers));
    expect(sdkError).toBeInstanceOf(OpenAI.InternalServerError);
    expect(sdkError).not.toBeInstanceOf(OpenAI.RateLimitError);
    expect(sdkError.code).toBe('all_deployments_failed');
  });

  it('is a 503 overloaded_error with the code as the Anthropic SDK\'s errorCode', () => {
    const answer = errorAnswer(allFailed(), 'anthropic', 'req_1');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.body).toMatchObject({ type: 'error', error: { type: 'overloaded_error', details: { error_code: 'all_deployments_failed' } }, request_id: 'req_1' });
    const sdkError = Anthropic.APIError.generate(answer.status, answer.body, undefined, new Headers(answer.headers));
    expect(sdkError).not.toBeInstanceOf(Anthropic.RateLimitError);
    expect(sdkError.errorCode).toBe('all_deployments_failed');
    expect(sdkError.type).toBe('overloaded_error');
  });

  it('keeps a provider\'s own Anthropic type without inventing a code for it', () => {
    const err = new KeelError('upstream_client_error', 'messages: roles must alternate', { status: 400, upstreamType: 'invalid_request_error', upstreamFormat: 'anthropic' });
    const answer = errorAnswer(err, 'anthropic', 'req_2');
    expect(answer.body).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: roles must alternate' }, request_id: 'req_2' });
  });
});

describe('errorAnswer: upstream rate-limit headers', () => {
  const upstream = {
    'retry-after': '20',
    'retry-after-ms': '19500',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': '20s',
    'anthropic-ratelimit-tokens-remaining': '0',
  };

  it('are passed on prefixed, so the client sees them without taking them for its own limits', () => {
    const answer = errorAnswer(allFailed({ upstreamHeaders: upstream }), 'openai', 'req_1');
    expect(answer.headers).toMatchObject({
      'x-keel-upstream-retry-after': '20',
      'x-keel-upstream-retry-after-ms': '19500',
      'x-keel-upstream-x-ratelimit-remaining-requests': '0',
      'x-keel-upstream-x-ratelimit-reset-requests': '20s',
      'x-keel-upstream-anthropic-ratelimit-tokens-remaining': '0',
    });
    // Keel's own wait rules: an SDK would obey an unprefixed retry-after-ms over it.
    expect(answer.headers['retry-after']).toBe('7');
    expect(answer.headers['retry-after-ms']).toBeUndefined();
    expect(answer.headers['x-ratelimit-remaining-requests']).toBeUndefined();
  });

  it('never replace Keel\'s own headers for the caller\'s key', () => {
    const own = { 'x-ratelimit-remaining-requests': '41', 'x-ratelimit-limit-requests': '60' };
    const answer = errorAnswer(allFailed({ upstreamHeaders: upstream, headers: own }), 'anthropic', 'req_1');
    expect(answer.headers['x-ratelimit-remaining-requests']).toBe('41');
    expect(answer.headers['x-keel-upstream-x-ratelimit-remaining-requests']).toBe('0');
  });

  it('drops a value that could not be sent safely', () => {
    const answer = errorAnswer(allFailed({ upstreamHeaders: { 'retry-after': '1\r\nset-cookie: a=b', 'x-ratelimit-limit-tokens': '90000' } }), 'openai', 'req_1');
    expect(answer.headers['x-keel-upstream-retry-after']).toBeUndefined();
    expect(answer.headers['x-keel-upstream-x-ratelimit-limit-tokens']).toBe('90000');
    expect(Object.values(answer.headers).join('')).not.toMatch(/[\r\n]/);
  });

  it('are absent when the error carries none', () => {
    const answer = errorAnswer(allFailed(), 'openai', 'req_1');
    expect(Object.keys(answer.headers).filter((h) => h.startsWith('x-keel-upstream-'))).toEqual([]);
  });
});
