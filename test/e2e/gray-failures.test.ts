/**
 * End to end: gray failures on Keel's default settings. A provider that goes silent (hangs, resets,
 * crawls, stalls mid-answer, or never sends a JSON body) costs a client about a second, not the 30 s
 * configured timeout: each deployment's normal pace is learned from live traffic, an attempt past it is
 * hedged on the next deployment and counted against its own at once. A slow deployment is judged by its
 * own norm, and a primary that recovers is back in use within seconds. Attempt counts are read from the
 * simulator, so every claim is about calls that really happened.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/router/router-types.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

let keel: RunningKeel;
let client: OpenAI;
const attempts: AttemptRecord[] = [];
const CONFIGURED_TTFT_MS = 30_000; // Keel's default, left untouched here

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: {
        token_delay_ms: 5,
        models: [
          { name: 'sim-primary', latency_ms: 100 },
          { name: 'sim-thinker', latency_ms: 1_500 },
        ],
      },
      deployments: [
        { id: 'primary', provider: 'anthropic', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai', model: 'sim-fallback', simulated: true },
        { id: 'finisher', provider: 'anthropic', model: 'sim-finisher', simulated: true, capabilities: { prefill: true } },
        { id: 'thinker', provider: 'anthropic', model: 'sim-thinker', simulated: true },
      ],
      routes: {
        main: { deployments: ['primary', 'fallback'] },
        stall: { deployments: ['primary', 'finisher'] },
        thinking: { deployments: ['thinker', 'fallback'] },
      },
    },
  });
  client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 60_000 });
  keel.gateway.router.events.on('attempt', (a) => void attempts.push(a));
  // Normal traffic first: Keel learns each deployment's pace (20 samples per answer mode make a norm):
  // streams (OpenAI clients are translated, so their JSON requests are streamed upstream too) and the
  // Anthropic clients' same-format JSON.
  const anthropic = new Anthropic({ baseURL: keel.url, apiKey: 'x', maxRetries: 0 });
  for (const model of ['main', 'thinking']) {
    await Promise.all(Array.from({ length: 24 }, () => ask(model)));
    await Promise.all(Array.from({ length: 24 }, () => streamText(model)));
    await Promise.all(Array.from({ length: 24 }, () => anthropic.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'how are the tides made' }] })));
  }
});

afterAll(async () => {
  await keel.stop();
});

beforeEach(async () => {
  keel.simulator!.clearFaults();
  keel.gateway.router.resetPolicies();
  await healthyHistory();
});

async function ask(model = 'main'): Promise<{ model: string; text: string; ms: number }> {
  const started = Date.now();
  const res = await client.chat.completions.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'how are the tides made' }] });
  return { model: res.model, text: res.choices[0]?.message.content ?? '', ms: Date.now() - started };
}

async function streamText(model = 'main'): Promise<{ text: string; ms: number }> {
  const started = Date.now();
  let text = '';
  for await (const chunk of await client.chat.completions.create({ model, stream: true, max_tokens: 16, messages: [{ role: 'user', content: 'how are the tides made' }] })) {
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { text, ms: Date.now() - started };
}

const byModel = () => keel.simulator!.stats().byModel;

/**
 * A primary with a normal recent history, as in production: with none (fresh policies), the adaptive
 * throttle sheds calls to a failing deployment from its first failures, and the breaker would see fewer.
 */
async function healthyHistory(): Promise<void> {
  await Promise.all(Array.from({ length: 10 }, () => ask()));
  keel.simulator!.resetStats();
  attempts.length = 0;
}

describe('a silent primary costs a client about a second, not the configured 30 s', () => {
  it('a hang is hedged on the fallback and counted against the primary at once', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'hang' });
    const json = await ask();
    expect(json.model).toBe('sim-fallback');
    expect(json.ms).toBeLessThan(CONFIGURED_TTFT_MS / 3);
    const stream = await streamText();
    expect(stream.text).toContain('Hello from sim-fallback');
    expect(stream.ms).toBeLessThan(CONFIGURED_TTFT_MS / 3);
    expect(byModel()).toEqual({ 'sim-primary': 2, 'sim-fallback': 2 });
    // The hung attempts were cancelled when the hedge won, yet they count as the primary's timeouts.
    const primary = attempts.filter((a) => a.deployment === 'primary');
    expect(primary.map((a) => a.outcome)).toEqual(['timeout', 'timeout']);
    expect(primary.every((a) => a.cancelled !== true && a.overdueMs !== undefined)).toBe(true);
    expect(attempts.filter((a) => a.deployment === 'fallback').map((a) => a.kind)).toEqual(['hedge', 'hedge']);
  });

  it('opens the breaker within a handful of hung requests, without waiting for any timeout', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'hang' });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await ask());
    expect(answers.every((a) => a.model === 'sim-fallback')).toBe(true);
    expect(keel.gateway.router.policies.breakers.get('primary').state.state).toBe('open');
    // Five overdue attempts opened it; the rest went straight to the fallback.
    expect(byModel()['sim-primary']).toBe(5);
    expect(byModel()['sim-fallback']).toBe(8);
  });

  it('a connection reset fails over at once, without a retry on the primary', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'reset' });
    const json = await ask();
    expect(json.model).toBe('sim-fallback');
    expect(byModel()).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
    expect(attempts.find((a) => a.deployment === 'primary')?.outcome).toBe('connect_error');
  });

  it('a JSON answer whose body never comes is hedged like a hang (same-format pass-through, timed by the JSON norm)', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'body_hang' });
    const anthropic = new Anthropic({ baseURL: keel.url, apiKey: 'x', maxRetries: 0 });
    const started = Date.now();
    const message = await anthropic.messages.create({ model: 'main', max_tokens: 16, messages: [{ role: 'user', content: 'how are the tides made' }] });
    expect(message.model).toBe('sim-fallback');
    expect(Date.now() - started).toBeLessThan(CONFIGURED_TTFT_MS / 3);
    expect(byModel()).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
    expect(attempts.find((a) => a.deployment === 'primary')?.outcome).toBe('timeout');
  });

  it('a JSON client answered by another format gets it assembled from an upstream stream, so a silent body is caught at first-token time', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'body_hang' });
    const json = await ask();
    expect(json.model).toBe('sim-fallback');
    expect(json.text).toContain('Hello from sim-fallback');
    expect(keel.simulator!.stats().recent.find((r) => r.model === 'sim-primary')?.stream).toBe(true);
    expect(byModel()).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
  });

  it('a stream that stalls mid-answer is cut at its learned idle limit and finished elsewhere as one answer', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'stream_stall', afterTokens: 3 });
    const { text, ms } = await streamText('stall');
    expect(text.startsWith('Hello from sim-primary.')).toBe(true);
    expect(text).toContain('Hello from sim-finisher');
    expect(ms).toBeLessThan(CONFIGURED_TTFT_MS / 3);
    expect(byModel()).toEqual({ 'sim-primary': 1, 'sim-finisher': 1 });
    expect(attempts.find((a) => a.deployment === 'primary')?.outcome).toBe('timeout');
  });
});

describe('slowness is judged against each deployment’s own norm', () => {
  it('a first token twice the norm is waited for: no hedge, no fault', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'slow_first_token', ms: 200 });
    const { text } = await streamText();
    expect(text).toContain('Hello from sim-primary');
    expect(byModel()).toEqual({ 'sim-primary': 1 });
    expect(attempts.map((a) => a.outcome)).toEqual(['ok']);
  });

  it('a first token twenty times the norm is hedged, and the fallback answers', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'slow_first_token', ms: 4_000 });
    const { text } = await streamText();
    expect(text).toContain('Hello from sim-fallback');
    expect(byModel()).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
  });

  it('a long-thinking deployment whose slow first token is normal for it is neither cut nor hedged', async () => {
    const answers = await Promise.all([ask('thinking'), streamText('thinking'), ask('thinking')]);
    expect(answers.every((a) => a.text.includes('Hello from sim-thinker'))).toBe(true);
    expect(byModel()).toEqual({ 'sim-thinker': 3 });
    expect(attempts.every((a) => a.outcome === 'ok' && a.overdueMs === undefined)).toBe(true);
  });
});

describe('recovery', () => {
  it('a flapping primary is back in use within seconds of its recovery, not after the breaker’s 30 s', async () => {
    keel.simulator!.setFault('sim-primary', { type: 'error', status: 529, kind: 'overloaded' });
    for (let i = 0; i < 4; i++) expect((await ask()).model).toBe('sim-fallback');
    const breaker = keel.gateway.router.policies.breakers.get('primary');
    expect(breaker.state.state).toBe('open');
    keel.simulator!.clearFaults();
    const recoveredAt = Date.now();
    let answeredBy = '';
    while (Date.now() - recoveredAt < 20_000) {
      answeredBy = (await ask()).model;
      if (answeredBy === 'sim-primary') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(answeredBy).toBe('sim-primary');
    expect(Date.now() - recoveredAt).toBeLessThan(10_000);
    expect(breaker.state.state).toBe('closed');
    expect(attempts.some((a) => a.kind === 'recovery_probe' && a.outcome === 'ok')).toBe(true);
  });
});
