/**
 * Keel as a library: the same router in-process through `createKeel`, canonical and provider-format
 * calls, the official SDKs through `keel.fetch`, and the example app run as users would run it.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatRequest, createKeel, KeelError, type Keel } from '../../src/index.js';

let keel: Keel;
const attempts: string[] = [];

beforeAll(async () => {
  keel = await createKeel({
    config: {
      simulator: { token_delay_ms: 0, faults: { 'sim-primary': { type: 'error', status: 503 } } },
      deployments: [
        { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'anthropic', model: 'sim-fallback', simulated: true },
      ],
      routes: { smart: { deployments: ['primary', 'fallback'], retry: { backoff_base_ms: 5 } } },
    },
    onAttempt: (a) => attempts.push(`${a.deployment}:${a.outcome}`),
  });
});

afterAll(async () => {
  await keel.close();
});

const hello = (text: string) => chatRequest({ model: 'smart', messages: [{ role: 'user', content: [{ type: 'text', text }] }] });

describe('createKeel', () => {
  it('answers canonical requests through the same failover, reporting attempts as events', async () => {
    attempts.length = 0;
    const response = await keel.chat(hello('in process'));
    expect(response.model).toBe('sim-fallback');
    expect(response.content).toEqual([{ type: 'text', text: 'Hello from sim-fallback. You said: in process' }]);
    expect(attempts).toEqual(['primary:overloaded', 'primary:overloaded', 'fallback:ok']);
  });

  it('streams canonical events', async () => {
    let text = '';
    const types = new Set<string>();
    for await (const event of keel.stream(hello('stream it'))) {
      types.add(event.type);
      if (event.type === 'text_delta') text += event.text;
    }
    expect(text).toBe('Hello from sim-fallback. You said: stream it');
    expect([...types]).toEqual(expect.arrayContaining(['start', 'text_delta', 'finish', 'usage']));
  });

  it('takes and answers provider-format bodies', async () => {
    const openai = (await keel.chatAs('openai', { model: 'smart', messages: [{ role: 'user', content: 'hi' }] })) as { object: string };
    expect(openai.object).toBe('chat.completion');
    const anthropic = (await keel.chatAs('anthropic', { model: 'smart', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] })) as { type: string };
    expect(anthropic.type).toBe('message');
  });

  it('serves the official SDK through fetch, streaming included, with errors in its own shape', async () => {
    const client = new OpenAI({ baseURL: 'http://keel.local/v1', apiKey: 'x', fetch: keel.fetch, maxRetries: 0 });
    let text = '';
    for await (const chunk of await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'sdk' }], stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toContain('You said: sdk');
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('serves the Responses API through fetch, conversations kept in memory without a store', async () => {
    const client = new OpenAI({ baseURL: 'http://keel.local/v1', apiKey: 'x', fetch: keel.fetch, maxRetries: 0 });
    const first = await client.responses.create({ model: 'smart', input: 'remember me' });
    const second = await client.responses.create({ model: 'smart', previous_response_id: first.id, input: 'again' });
    expect(second.output_text).toBe('Hello from sim-fallback. You said: again');
    expect((await client.responses.retrieve(first.id)).output_text).toBe(first.output_text);
  });

  it('throws a KeelError when nothing can answer', async () => {
    keel.simulator!.setFault('*', { type: 'error', status: 400, kind: 'bad_request', message: 'nope' });
    await expect(keel.chat(hello('x'))).rejects.toBeInstanceOf(KeelError);
    keel.simulator!.clearFaults();
  });

  it('runs the example app: both SDKs succeed in-process with a failing primary', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), resolve('examples/library-app.ts')], { timeout: 60_000 });
    expect(stdout).toContain('OpenAI SDK got: Hello from gpt-sim');
    expect(stdout).toContain('Anthropic SDK got: Hello from gpt-sim');
    expect(stdout).toContain('keel.chat got: Hello from gpt-sim');
  });
});
