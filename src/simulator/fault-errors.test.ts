import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { ErrorKind, Simulator, WireFormat } from './types.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 7 });
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});
afterAll(() => sim.close());

const REQUESTS: Record<WireFormat, { path: (model: string) => string; body: (model: string) => unknown }> = {
  openai: { path: () => '/v1/chat/completions', body: (model) => ({ model, messages: [{ role: 'user', content: 'hi' }] }) },
  anthropic: {
    path: () => '/v1/messages',
    body: (model) => ({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  },
  gemini: {
    path: (model) => `/v1beta/models/${model}:generateContent`,
    body: () => ({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
  },
};

async function call(format: WireFormat, model = 'm1'): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(sim.url + REQUESTS[format].path(model), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(REQUESTS[format].body(model)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the raw text
  }
  return { status: res.status, headers: res.headers, body };
}

describe('error fault: provider-shaped bodies', () => {
  it.each<[number, ErrorKind | undefined, Record<string, unknown>]>([
    [429, undefined, { type: 'requests', code: 'rate_limit_exceeded' }],
    [500, undefined, { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' }],
    [503, undefined, { message: 'The engine is currently overloaded, please try again later.' }],
    [400, 'context_length', { type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' }],
    [400, 'content_filter', { code: 'content_policy_violation' }],
    [401, undefined, { type: 'invalid_request_error', code: 'invalid_api_key' }],
    [404, undefined, { code: 'model_not_found' }],
  ])('openai %i %s', async (status, kind, expected) => {
    sim.setFault('m1', { type: 'error', status, ...(kind === undefined ? {} : { kind }) });
    const res = await call('openai');
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: expected });
    expect(Object.keys((res.body as { error: object }).error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it.each<[number, ErrorKind | undefined, string, string?]>([
    [529, undefined, 'overloaded_error', 'Overloaded'],
    [429, undefined, 'rate_limit_error'],
    [500, undefined, 'api_error'],
    [400, undefined, 'invalid_request_error'],
    [401, undefined, 'authentication_error'],
    [403, undefined, 'permission_error'],
    [404, undefined, 'not_found_error'],
    [413, undefined, 'request_too_large'],
    [400, 'context_length', 'invalid_request_error', 'prompt is too long: 200001 tokens > 200000 maximum'],
  ])('anthropic %i %s', async (status, kind, type, message) => {
    sim.setFault('m1', { type: 'error', status, ...(kind === undefined ? {} : { kind }) });
    const res = await call('anthropic');
    expect(res.status).toBe(status);
    const requestId = res.headers.get('request-id');
    expect(requestId).toMatch(/^req_/);
    expect(res.body).toMatchObject({ type: 'error', error: { type, ...(message === undefined ? {} : { message }) }, request_id: requestId });
  });

  it.each<[number, string, string?]>([
    [429, 'RESOURCE_EXHAUSTED'],
    [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'],
    [500, 'INTERNAL'],
    [504, 'DEADLINE_EXCEEDED'],
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
  ])('gemini %i %s', async (status, statusName, message) => {
    sim.setFault('m1', { type: 'error', status });
    const res = await call('gemini');
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: { code: status, status: statusName, ...(message === undefined ? {} : { message }) } });
  });

  it('gemini 429 carries RetryInfo; retry headers are sent as asked', async () => {
    sim.setFault('m1', { type: 'error', status: 429, retryAfterS: 7, retryAfterMs: 6500 });
    const res = await call('gemini');
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('retry-after-ms')).toBe('6500');
    expect(res.body).toMatchObject({
      error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' }] },
    });
  });

  it('openai 429 carries rate-limit headers and the SDK sees a RateLimitError', async () => {
    sim.setFault('m1', { type: 'error', status: 429, retryAfterS: 2 });
    const res = await call('openai');
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('x-ratelimit-limit-requests')).toBe('500');
    expect(res.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset-requests')).toBe('2s');

    const client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
  });

  it('anthropic SDK sees an overloaded 529 as an APIError with the error type', async () => {
    sim.setFault('*', { type: 'error', status: 529 });
    const client = new Anthropic({ apiKey: 'k', baseURL: sim.url, maxRetries: 0 });
    const error = await client.messages.create({ model: 'any', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('gemini content_filter is a 200 with a SAFETY candidate, in JSON and SSE', async () => {
    sim.setFault('m1', { type: 'error', status: 400, kind: 'content_filter', times: 2 });
    const res = await call('gemini');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ candidates: [{ finishReason: 'SAFETY', safetyRatings: expect.any(Array) as unknown }] });
    const sse = await fetch(`${sim.url}/v1beta/models/m1:streamGenerateContent?alt=sse`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(REQUESTS.gemini.body('m1')),
    });
    expect(sse.status).toBe(200);
    expect(await sse.text()).toMatch(/^data: \{.*"finishReason":"SAFETY".*\}\n\n$/s);
  });

  it('uses the body and header overrides verbatim', async () => {
    sim.setFault('m1', { type: 'error', status: 502, body: '<html>Bad Gateway</html>', headers: { 'content-type': 'text/html', 'x-edge': 'cf' } });
    const res = await call('openai');
    expect(res.status).toBe(502);
    expect(res.body).toBe('<html>Bad Gateway</html>');
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.headers.get('x-edge')).toBe('cf');
  });

  it('uses the custom message', async () => {
    sim.setFault('m1', { type: 'error', status: 500, message: 'boom' });
    expect((await call('anthropic')).body).toMatchObject({ error: { type: 'api_error', message: 'boom' } });
  });
});

describe('fault scope', () => {
  it('clears itself after `times` hits', async () => {
    sim.setFault('m1', { type: 'error', status: 500, times: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await call('openai')).status);
    expect(statuses).toEqual([500, 500, 200, 200]);
    expect(sim.stats().faultsApplied).toEqual({ error: 2 });
  });

  it('applies a wildcard fault to every model, and a model fault shadows it', async () => {
    sim.setFault('*', { type: 'error', status: 503 });
    sim.setFault('m2', { type: 'error', status: 429 });
    expect((await call('openai', 'm1')).status).toBe(503);
    expect((await call('anthropic', 'other')).status).toBe(503);
    expect((await call('gemini', 'm2')).status).toBe(429);
    sim.setFault('*', null);
    expect((await call('openai', 'm1')).status).toBe(200);
  });

  it('decides rate hits the same way for the same seed', async () => {
    const other = await startSimulator({ seed: 7 });
    try {
      const pattern = async (target: Simulator): Promise<number[]> => {
        target.clearFaults();
        target.setFault('m1', { type: 'error', status: 500, rate: 0.5 });
        const statuses = [];
        for (let i = 0; i < 24; i += 1) {
          const res = await fetch(`${target.url}/v1/chat/completions`, {
            method: 'POST', body: JSON.stringify(REQUESTS.openai.body('m1')),
          });
          await res.arrayBuffer();
          statuses.push(res.status);
        }
        return statuses;
      };
      const first = await pattern(sim);
      expect(await pattern(other)).toEqual(first);
      expect(first.filter((s) => s === 500).length).toBeGreaterThan(3);
      expect(first.filter((s) => s === 200).length).toBeGreaterThan(3);
    } finally {
      await other.close();
    }
  });
});
