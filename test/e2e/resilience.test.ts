/**
 * End to end: the resilience engine against the real simulator. Every assertion about retries,
 * failover and breakers reads the attempt counts the simulator saw, so it states what the upstream
 * actually received. Timeouts and backoffs are configured short so the suite stays fast; bounds on time
 * are generous because CI machines are slow.
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
      // The adaptive throttle is off here so breaker behaviour is deterministic; its arithmetic is unit-tested.
      resilience: { breaker: { consecutive_failures: 3, open_ms: 1500, max_open_ms: 3000 }, adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai-compatible', model: 'sim-fallback', simulated: true },
      ],
      routes: {
        smart: {
          deployments: ['primary', 'fallback'],
          timeouts: { ttft_ms: 400, idle_ms: 400, total_ms: 5000 },
          retry: { backoff_base_ms: 10, backoff_cap_ms: 40, max_retry_after_ms: 1000 },
        },
        solo: { deployments: ['primary'], timeouts: { ttft_ms: 400, idle_ms: 400 }, retry: { backoff_base_ms: 10 } },
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
  keel.simulator!.resetStats();
  keel.gateway.router.resetPolicies();
});

const sim = () => keel.simulator!;
const ask = (model = 'smart', content = 'hello') => client.chat.completions.create({ model, messages: [{ role: 'user', content }] }).withResponse();

async function streamText(model = 'smart', content = 'one two three four five six'): Promise<string> {
  let text = '';
  for await (const chunk of await client.chat.completions.create({ model, messages: [{ role: 'user', content }], stream: true })) {
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return text;
}

describe('retries', () => {
  it('waits out a short Retry-After and retries the same deployment', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 429, retryAfterMs: 150, times: 1 });
    const started = Date.now();
    const { data, response } = await ask();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(data.model).toBe('sim-primary');
    expect(response.headers.get('x-keel-attempts')).toBe('2');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 2 });
  });

  it('fails over instead of waiting when Retry-After is longer than Keel waits', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 429, retryAfterS: 60 });
    const started = Date.now();
    const { data } = await ask();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(data.model).toBe('sim-fallback');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
  });

  it('bounds a persistent 503 to the attempts per deployment, then fails over', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 503 });
    const { data } = await ask();
    expect(data.model).toBe('sim-fallback');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 2, 'sim-fallback': 1 });
  });

  it('fails a connection reset before headers over at once, without a backoff on the same deployment', async () => {
    sim().setFault('sim-primary', { type: 'reset', times: 1 });
    const { data } = await ask();
    expect(data.model).toBe('sim-fallback');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
  });

  it('returns a content-filter refusal with the provider reason, without failing over', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 400, kind: 'content_filter', message: 'flagged by the safety system' });
    const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('flagged by the safety system');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1 });
  });
});

describe('timeouts', () => {
  it('fails a silent provider over inside the deadline, without asking it again', async () => {
    sim().setFault('sim-primary', { type: 'hang' });
    const started = Date.now();
    const { data } = await ask();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(data.model).toBe('sim-fallback');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
  });

  it('fails a slow first token over, invisibly to a streaming client', async () => {
    sim().setFault('sim-primary', { type: 'slow_first_token', ms: 3000 });
    expect(await streamText()).toContain('Hello from sim-fallback');
  });

  it('fails over a JSON answer whose body stalls after the headers, at the idle timeout', async () => {
    sim().setFault('sim-primary', { type: 'stream_stall', afterTokens: 2, ms: 4000 });
    const started = Date.now();
    const { data } = await ask();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(data.model).toBe('sim-fallback');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
  });

  it('ends a stalled stream with an error, never with [DONE]', async () => {
    sim().setFault('sim-primary', { type: 'stream_stall', afterTokens: 3 });
    await expect(streamText('solo')).rejects.toThrow(/interrupted.*stall/);
  });

  it('finalises a stream whose provider never sends [DONE] at once, not at the idle timeout', async () => {
    sim().setFault('sim-primary', { type: 'missing_done', keepOpen: true });
    const started = Date.now();
    expect(await streamText('solo', 'a b')).toBe('Hello from sim-primary. You said: a b');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('honours a per-request deadline header with a 504', async () => {
    sim().setFault('*', { type: 'hang' });
    const res = await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-keel-timeout-ms': '300' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('timeout');
  });
});

describe('circuit breakers and budgets', () => {
  it('serves a flapping primary from the fallback while it is down, and uses it again once recovered', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 500 });
    const breakers = () => keel.gateway.router.policies.breakers;
    // Every request is answered by the fallback while the primary fails, until its third consecutive
    // failure opens the breaker.
    for (let i = 0; i < 30 && !breakers().isOpen('primary'); i++) expect((await ask()).data.model).toBe('sim-fallback');
    expect(breakers().isOpen('primary')).toBe(true);
    const primaryCalls = sim().stats().byModel['sim-primary'];
    expect(primaryCalls).toBe(3);
    // The open breaker keeps requests away from the primary entirely.
    for (let i = 0; i < 5; i++) expect((await ask()).data.model).toBe('sim-fallback');
    expect(sim().stats().byModel['sim-primary']).toBe(primaryCalls);

    sim().clearFaults();
    await new Promise((r) => setTimeout(r, 1800)); // past the breaker's open duration (1.5 s ± 10%)
    // Recovery: probes succeed, the throttle sees accepts again, and the primary takes traffic back.
    const served: string[] = [];
    for (let i = 0; i < 30; i++) served.push((await ask()).data.model);
    expect(served.slice(-5)).toEqual(Array(5).fill('sim-primary'));
    expect(breakers().get('primary').state.state).toBe('closed');
  });

  it('keeps upstream attempts near one per deployment during a total outage (no retry storm)', async () => {
    sim().setFault('*', { type: 'error', status: 503 });
    const requests = 40;
    for (let i = 0; i < requests; i++) {
      const res = await fetch(`${keel.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      await res.arrayBuffer();
    }
    const perRequest = sim().stats().total / requests;
    // Without budgets and breakers this would be 4 (2 attempts × 2 deployments).
    expect(perRequest).toBeLessThan(2);
  });
});

describe('errors that mean "not for hours"', () => {
  const quota = {
    type: 'error' as const,
    status: 429,
    headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '23h59m' },
    body: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } },
  };

  it('opens the breaker on an exhausted quota at once, instead of retrying every request into it', async () => {
    sim().setFault('sim-primary', quota);
    const { data } = await ask();
    expect(data.model).toBe('sim-fallback');
    // One call, no retry on the same deployment, and the next requests skip it entirely.
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
    expect(keel.gateway.router.policies.breakers.get('primary').state.state).toBe('open');
    await ask();
    await ask();
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1, 'sim-fallback': 3 });
  });

  it('passes the provider’s rate-limit signals on with a stable code when every deployment is down', async () => {
    sim().setFault('sim-primary', quota);
    const err = (await ask('solo').catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('all_deployments_failed');
    expect(err.headers?.get('retry-after')).toMatch(/^\d+$/);
    // The provider's own limits are named as the provider's, never mistaken for the client's own.
    expect(err.headers?.get('x-keel-upstream-x-ratelimit-remaining-requests')).toBe('0');
    expect(err.headers?.get('x-ratelimit-remaining-requests')).toBeNull();
  });
});
