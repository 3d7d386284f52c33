/**
 * End to end: mid-stream failover. A stream cut after content reached the client is finished by a
 * deployment that accepts an assistant prefill, as one answer, in the client's format, whether the first
 * part was passed through as the provider's bytes or translated; without such a deployment the stream
 * ends with an error event, never a success.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

let keel: RunningKeel;
const TWIN_REPLY = 'The tide turns twice a day because the moon pulls the oceans toward it as the earth spins.';

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: {
        token_delay_ms: 0,
        // The same model served from two places answers the same words (deterministic sampling).
        models: [
          { name: 'sim-twin-a', reply: TWIN_REPLY },
          { name: 'sim-twin-b', reply: TWIN_REPLY },
        ],
      },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'primary', provider: 'anthropic', model: 'sim-primary', simulated: true },
        { id: 'gpt', provider: 'openai', model: 'sim-gpt', simulated: true },
        { id: 'claude-b', provider: 'anthropic', model: 'sim-claude-b', simulated: true, capabilities: { prefill: true } },
        { id: 'twin-a', provider: 'anthropic', model: 'sim-twin-a', simulated: true },
        { id: 'twin-b', provider: 'openai', model: 'sim-twin-b', simulated: true },
      ],
      routes: {
        smart: { deployments: ['primary', 'gpt', 'claude-b'], retry: { max_attempts_per_deployment: 1 } },
        noprefill: { deployments: ['primary', 'gpt'], retry: { max_attempts_per_deployment: 1 } },
        twins: { deployments: ['twin-a', 'twin-b'], retry: { max_attempts_per_deployment: 1 } },
      },
    },
  });
});

afterAll(async () => {
  await keel.stop();
});

beforeEach(() => {
  keel.simulator!.clearFaults();
  keel.simulator!.resetStats();
  keel.gateway.router.resetPolicies();
  keel.simulator!.setFault('sim-primary', { type: 'stream_cut', afterTokens: 3 });
});

const prompt = 'one two three four five six seven';
const partial = 'Hello from sim-primary.';

describe('mid-stream failover', () => {
  it('finishes a cut Anthropic pass-through stream on a prefill deployment, as one answer', async () => {
    const client = new Anthropic({ baseURL: keel.url, apiKey: 'x', maxRetries: 0 });
    const message = await client.messages.stream({ model: 'smart', max_tokens: 200, messages: [{ role: 'user', content: prompt }] }).finalMessage();
    const text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(message.content).toHaveLength(1);
    expect(text.startsWith(partial)).toBe(true);
    expect(text).toContain('Hello from sim-claude-b');
    expect(message.stop_reason).toBe('end_turn');
    // The prefill deployment got the partial answer to continue; the non-prefill one was never asked.
    const seen = keel.simulator!.stats();
    expect(seen.byModel).toEqual({ 'sim-primary': 1, 'sim-claude-b': 1 });
    const continuation = seen.recent.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(continuation.messages.at(-1)).toMatchObject({ role: 'assistant' });
    expect(JSON.stringify(continuation.messages.at(-1)!.content)).toContain(partial);
  });

  it('finishes a cut translated stream for an OpenAI client', async () => {
    const client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'x', maxRetries: 0 });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of await client.chat.completions.create({ model: 'smart', stream: true, messages: [{ role: 'user', content: prompt }] })) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
    }
    expect(text.startsWith(partial)).toBe(true);
    expect(text).toContain('Hello from sim-claude-b');
    expect(finish).toBe('stop');
  });

  it('never splices a replayed answer that does not begin with the text the client already has', async () => {
    const client = new Anthropic({ baseURL: keel.url, apiKey: 'x', maxRetries: 0 });
    const stream = client.messages.stream({ model: 'noprefill', max_tokens: 200, messages: [{ role: 'user', content: prompt }] });
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    await expect(stream.finalMessage()).rejects.toThrow(/interrupted/);
    // The fallback (no prefill) was asked the original question; its answer began differently.
    expect(keel.simulator!.stats().byModel).toEqual({ 'sim-primary': 1, 'sim-gpt': 1 });
    expect(texts.join('')).not.toContain('sim-gpt');
  });

  it('continues a cut stream from a fallback without prefill when its replayed answer matches, as one answer', async () => {
    keel.simulator!.setFault('sim-twin-a', { type: 'stream_cut', afterTokens: 5 });
    for (const client of ['anthropic', 'openai'] as const) {
      keel.simulator!.resetStats();
      let text = '';
      if (client === 'anthropic') {
        const anthropic = new Anthropic({ baseURL: keel.url, apiKey: 'x', maxRetries: 0 });
        const message = await anthropic.messages.stream({ model: 'twins', max_tokens: 200, messages: [{ role: 'user', content: prompt }] }).finalMessage();
        expect(message.content).toHaveLength(1);
        expect(message.stop_reason).toBe('end_turn');
        text = message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
      } else {
        const openai = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'x', maxRetries: 0 });
        for await (const chunk of await openai.chat.completions.create({ model: 'twins', stream: true, messages: [{ role: 'user', content: prompt }] })) {
          text += chunk.choices[0]?.delta.content ?? '';
        }
      }
      expect(text).toBe(TWIN_REPLY);
      expect(keel.simulator!.stats().byModel).toEqual({ 'sim-twin-a': 1, 'sim-twin-b': 1 });
      // The replay carried the original question, not a prefill.
      const replay = keel.simulator!.stats().recent.at(-1)!.body as { messages: { role: string }[] };
      expect(replay.messages.at(-1)).toMatchObject({ role: 'user' });
    }
  });
});
