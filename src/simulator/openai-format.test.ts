import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ models: [{ name: 'small-ctx', contextWindow: 5 }] });
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `${sim.url}/v1`, maxRetries: 0, timeout: 10_000 });
});
afterAll(() => sim.close());

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] }, days: { type: 'integer' } },
      required: ['city', 'unit'],
    },
  },
};
const timeTool = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: {} } } };

describe('OpenAI chat completions (official SDK)', () => {
  it('answers JSON with the echo, usage and ids', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-sim',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'ping pong' }],
    });
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-sim');
    expect(completion.choices[0]?.message.content).toBe('Hello from gpt-sim. You said: ping pong');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.prompt_tokens).toBe(Math.ceil('be briefping pong'.length / 4));
    expect(completion.usage?.completion_tokens).toBe(7);
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  });

  it('streams deltas that join to the same text, with the usage chunk before [DONE]', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-sim',
      messages: [{ role: 'user', content: 'stream me please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from gpt-sim. You said: stream me please');
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks[0]?.object).toBe('chat.completion.chunk');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBe(8);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('answers tool calls with schema-shaped arguments, in JSON and in the stream helper', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-sim', messages: [{ role: 'user', content: 'weather?' }], tools: [weatherTool, timeTool],
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.id).toMatch(/^call_/);
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'sample', unit: 'c' });

    const runner = client.chat.completions.stream({
      model: 'gpt-sim',
      messages: [{ role: 'user', content: 'run these in parallel' }],
      tools: [weatherTool, timeTool],
    });
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['get_weather', 'get_time']);
    expect(calls.map((c) => (c.type === 'function' ? JSON.parse(c.function.arguments) : null))).toEqual([
      { city: 'sample', unit: 'c' }, {},
    ]);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('forces the named tool and respects tool_choice none', async () => {
    const forced = await client.chat.completions.create({
      model: 'gpt-sim', messages: [{ role: 'user', content: 'x' }], tools: [weatherTool, timeTool],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const forcedCall = forced.choices[0]?.message.tool_calls?.[0];
    expect(forcedCall?.type === 'function' && forcedCall.function.name).toBe('get_time');
    const none = await client.chat.completions.create({
      model: 'gpt-sim', messages: [{ role: 'user', content: 'x' }], tools: [weatherTool], tool_choice: 'none',
    });
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('answers a tool result with text naming the tool', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-sim',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant', content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21C' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('Tool get_weather returned: sunny, 21C');
  });

  it('truncates at max_tokens, stops at stop sequences, sees images, honours JSON mode', async () => {
    const truncated = await client.chat.completions.create({
      model: 'gpt-sim', messages: [{ role: 'user', content: 'a b c' }], max_completion_tokens: 2,
    });
    expect(truncated.choices[0]?.message.content).toBe('Hello from');
    expect(truncated.choices[0]?.finish_reason).toBe('length');

    const stopped = await client.chat.completions.create({
      model: 'gpt-sim', messages: [{ role: 'user', content: 'a b c' }], stop: ['You said'],
    });
    expect(stopped.choices[0]?.message.content).toBe('Hello from gpt-sim. ');
    expect(stopped.choices[0]?.finish_reason).toBe('stop');

    const vision = await client.chat.completions.create({
      model: 'gpt-sim',
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'what is this' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      }],
    });
    expect(vision.choices[0]?.message.content).toBe('I see 1 image(s). Hello from gpt-sim. You said: what is this');

    const json = await client.chat.completions.create({
      model: 'gpt-sim', messages: [{ role: 'user', content: 'hi' }], response_format: { type: 'json_object' },
    });
    expect(JSON.parse(json.choices[0]?.message.content ?? '')).toEqual({ reply: 'Hello from gpt-sim. You said: hi' });
  });

  it('returns the real context-length error past the context window', async () => {
    const error = await client.chat.completions
      .create({ model: 'small-ctx', messages: [{ role: 'user', content: 'x'.repeat(100) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(apiError.code).toBe('context_length_exceeded');
    expect(apiError.param).toBe('messages');
    expect(apiError.message).toContain('maximum context length is 5 tokens');
  });

  it('rejects a body without messages in the OpenAI error shape', async () => {
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-sim' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { type: string; param: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.param).toBe('messages');
  });

  it('lists models', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['small-ctx']);
  });
});
