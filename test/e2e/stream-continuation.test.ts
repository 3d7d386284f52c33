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

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: { token_delay_ms: 0 },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'primary', provider: 'anthropic', model: 'sim-primary', simulated: true },
        { id: 'gpt', provider: 'openai', model: 'sim-gpt', simulated: true },
        { id: 'claude-b', provider: 'anthropic', model: 'sim-claude-b', simulated: true, capabilities: { prefill: true } },
      ],
      routes: {
        smart: { deployments: ['primary', 'gpt', 'claude-b'], retry: { max_attempts_per_deployment: 1 } },
        noprefill: { deployments: ['primary', 'gpt'], retry: { max_attempts_per_deployment: 1 } },
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

  it('ends with an error event when no deployment can continue', async () => {
    const client = new Anthropic({ baseURL: keel.url, apiKey: 'x', maxRetries: 0 });
    const stream = client.messages.stream({ model: 'noprefill', max_tokens: 200, messages: [{ role: 'user', content: prompt }] });
    await expect(stream.finalMessage()).rejects.toThrow(/interrupted/);
    expect(keel.simulator!.stats().byModel).toEqual({ 'sim-primary': 1 });
  });
});
