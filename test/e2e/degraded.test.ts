/**
 * End to end: when every deployment of a route is down, Keel still answers something useful — a recent
 * cached answer to the same question, or the route's static message — marked `x-keel-degraded`; and
 * without either, a 503 whose body lists each attempt.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

let keel: RunningKeel;
let client: OpenAI;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: { token_delay_ms: 0 },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'a', provider: 'openai', model: 'sim-a', simulated: true },
        { id: 'b', provider: 'openai-compatible', model: 'sim-b', simulated: true },
      ],
      routes: {
        cached: { deployments: ['a', 'b'], degraded: { cache_ttl_s: 60, message: 'The assistant is briefly unavailable.' } },
        static: { deployments: ['a', 'b'], degraded: { message: 'The assistant is briefly unavailable.' } },
        plain: { deployments: ['a', 'b'], retry: { max_attempts_per_deployment: 1 } },
      },
    },
  });
  client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'x', maxRetries: 0 });
});

afterAll(async () => {
  await keel.stop();
});

beforeEach(() => {
  keel.simulator!.clearFaults();
  keel.gateway.router.resetPolicies();
});

const question = (content: string) => [{ role: 'user' as const, content }];

describe('degraded answers', () => {
  it('serves the cached answer to a repeated question when everything is down, JSON and streamed', async () => {
    const fresh = await client.chat.completions.create({ model: 'cached', messages: question('what is keel?') }).withResponse();
    expect(fresh.response.headers.get('x-keel-degraded')).toBeNull();

    keel.simulator!.setFault('*', { type: 'error', status: 503 });
    const cached = await client.chat.completions.create({ model: 'cached', messages: question('what is keel?') }).withResponse();
    expect(cached.response.headers.get('x-keel-degraded')).toBe('cache');
    expect(cached.data.choices[0]!.message.content).toBe(fresh.data.choices[0]!.message.content);

    let streamed = '';
    const stream = await client.chat.completions.create({ model: 'cached', messages: question('what is keel?'), stream: true });
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta.content ?? '';
    expect(streamed).toBe(fresh.data.choices[0]!.message.content);
  });

  it('falls back to the static message for a question never answered before', async () => {
    keel.simulator!.setFault('*', { type: 'error', status: 503 });
    const { data, response } = await client.chat.completions.create({ model: 'static', messages: question('anything new?') }).withResponse();
    expect(response.headers.get('x-keel-degraded')).toBe('static');
    expect(data.choices[0]!.message.content).toBe('The assistant is briefly unavailable.');
  });

  it('does not cover a client error with a degraded answer', async () => {
    keel.simulator!.setFault('*', { type: 'error', status: 400, kind: 'bad_request' });
    const res = await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'static', messages: question('bad') }),
    });
    expect(res.status).toBe(400);
  });

  it('without a degraded answer, lists every attempt in the 503 body', async () => {
    keel.simulator!.setFault('sim-a', { type: 'error', status: 503 });
    keel.simulator!.setFault('sim-b', { type: 'reset' });
    const res = await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'plain', messages: question('hi') }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBeTruthy();
    const body = (await res.json()) as { error: { attempts: { deployment: string; outcome: string; latencyMs: number }[] } };
    expect(body.error.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
      ['a', 'overloaded'],
      ['b', 'connect_error'],
    ]);
    expect(body.error.attempts.every((a) => typeof a.latencyMs === 'number')).toBe(true);
  });
});
