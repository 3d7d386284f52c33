import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';

let sim: Simulator;
let client: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ models: [{ name: 'tiny', contextWindow: 3 }] });
  client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: sim.url, maxRetries: 0, timeout: 10_000 });
});
afterAll(() => sim.close());

const tools = [
  {
    name: 'lookup',
    input_schema: {
      type: 'object' as const,
      properties: { query: { type: 'string' }, limit: { type: 'integer' }, exact: { type: 'boolean' } },
      required: ['query', 'limit'],
    },
  },
  { name: 'clock', input_schema: { type: 'object' as const, properties: {} } },
];

async function rawPost(body: unknown, headers: Record<string, string>): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${sim.url}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe('Anthropic messages (official SDK)', () => {
  it('answers JSON with the message shape and usage', async () => {
    const message = await client.messages.create({
      model: 'claude-sim', max_tokens: 100, system: 'be kind',
      messages: [{ role: 'user', content: 'good morning' }],
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe('claude-sim');
    expect(message.content).toEqual([{ type: 'text', text: 'Hello from claude-sim. You said: good morning' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    expect(message.usage.input_tokens).toBe(Math.ceil('be kindgood morning'.length / 4));
    expect(message.usage.output_tokens).toBe(7);
    expect(message.usage.cache_read_input_tokens).toBe(0);
  });

  it('streams events the SDK accumulates into the same message', async () => {
    const stream = client.messages.stream({
      model: 'claude-sim', max_tokens: 100, messages: [{ role: 'user', content: 'stream this' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Hello from claude-sim. You said: stream this' }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBe(7);
    expect(types[0]).toBe('message_start');
    expect(types.slice(1, 2)).toEqual(['content_block_start']);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('sends event and data lines with matching types, and one ping', async () => {
    const res = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sim', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const events = (await res.text()).trim().split('\n\n');
    for (const event of events) {
      const [eventLine, dataLine] = event.split('\n');
      const name = eventLine?.replace('event: ', '');
      expect((JSON.parse(dataLine?.replace('data: ', '') ?? '') as { type: string }).type).toBe(name);
    }
    expect(events.filter((e) => e.startsWith('event: ping'))).toHaveLength(1);
    expect(events[1]).toContain('event: ping');
  });

  it('emits a signed thinking block first when thinking is enabled', async () => {
    const request = {
      model: 'claude-sim', max_tokens: 2000, thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      messages: [{ role: 'user' as const, content: 'think first' }],
    };
    const message = await client.messages.create(request);
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    const thinking = message.content[0];
    expect(thinking?.type === 'thinking' && thinking.signature.length).toBeGreaterThan(10);

    const streamed = await client.messages.stream(request).finalMessage();
    expect(streamed.content).toEqual(message.content);
  });

  it('answers tool_use in JSON and as streamed input_json_delta', async () => {
    const message = await client.messages.create({
      model: 'claude-sim', max_tokens: 100, tools, messages: [{ role: 'user', content: 'find it' }],
    });
    expect(message.stop_reason).toBe('tool_use');
    const block = message.content[0];
    expect(block?.type).toBe('tool_use');
    if (block?.type !== 'tool_use') return;
    expect(block.id).toMatch(/^toolu_/);
    expect(block.name).toBe('lookup');
    expect(block.input).toEqual({ query: 'sample', limit: 1 });

    const streamed = await client.messages
      .stream({ model: 'claude-sim', max_tokens: 100, tools, messages: [{ role: 'user', content: 'parallel lookups' }] })
      .finalMessage();
    expect(streamed.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : b.type))).toEqual([
      ['lookup', { query: 'sample', limit: 1 }],
      ['clock', {}],
    ]);
    expect(streamed.stop_reason).toBe('tool_use');

    const forced = await client.messages.create({
      model: 'claude-sim', max_tokens: 100, tools, tool_choice: { type: 'tool', name: 'clock' },
      messages: [{ role: 'user', content: 'time' }],
    });
    expect(forced.content[0]?.type === 'tool_use' && forced.content[0].name).toBe('clock');
  });

  it('answers a tool_result with text naming the tool', async () => {
    const message = await client.messages.create({
      model: 'claude-sim', max_tokens: 100, tools,
      messages: [
        { role: 'user', content: 'find it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { query: 'q' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'found 3' }] }] },
      ],
    });
    expect(message.content).toEqual([{ type: 'text', text: 'Tool lookup returned: found 3' }]);
  });

  it('truncates at max_tokens, stops at stop sequences, sees base64 and url images', async () => {
    const truncated = await client.messages.create({
      model: 'claude-sim', max_tokens: 3, messages: [{ role: 'user', content: 'x' }],
    });
    expect(truncated.stop_reason).toBe('max_tokens');
    expect(truncated.content).toEqual([{ type: 'text', text: 'Hello from claude-sim.' }]);

    const stopped = await client.messages.stream({
      model: 'claude-sim', max_tokens: 100, stop_sequences: ['said'], messages: [{ role: 'user', content: 'x' }],
    }).finalMessage();
    expect(stopped.stop_reason).toBe('stop_sequence');
    expect(stopped.stop_sequence).toBe('said');
    expect(stopped.content).toEqual([{ type: 'text', text: 'Hello from claude-sim. You ' }]);

    const vision = await client.messages.create({
      model: 'claude-sim', max_tokens: 100,
      messages: [{
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
          { type: 'text', text: 'compare' },
        ],
      }],
    });
    expect(vision.content[0]?.type === 'text' && vision.content[0].text).toBe('I see 2 image(s). Hello from claude-sim. You said: compare');
  });

  it('requires anthropic-version and max_tokens, answering invalid_request_error', async () => {
    const noVersion = await rawPost({ model: 'claude-sim', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, {});
    expect(noVersion.status).toBe(400);
    expect(noVersion.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(noVersion.headers.get('request-id')).toMatch(/^req_/);

    const error = await client.messages
      .create({ model: 'claude-sim', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
  });

  it('returns prompt is too long past the context window', async () => {
    const error = await client.messages
      .create({ model: 'tiny', max_tokens: 5, messages: [{ role: 'user', content: 'y'.repeat(40) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as Error).message).toContain('prompt is too long: 10 tokens > 3 maximum');
  });
});
