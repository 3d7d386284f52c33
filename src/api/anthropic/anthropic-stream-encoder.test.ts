import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../core/chat-response.js';
import { checkAnthropicEventOrder, parseAnthropicSse } from './__fixtures__/anthropic-event-order.js';
import { AnthropicStreamEncoder } from './anthropic-stream-encoder.js';

/** Runs canonical event batches through the encoder, as the handler does, then `finish()`. */
function encodeAll(batches: StreamEvent[][], model = 'smart'): string {
  const encoder = new AnthropicStreamEncoder(model);
  return batches.map((b) => encoder.encode(b)).join('') + encoder.finish();
}

/** Feeds SSE text to the official SDK's stream accumulator and returns its final message. */
async function sdkFinalMessage(sse: string): Promise<Anthropic.Message> {
  const client = new Anthropic({
    apiKey: 'test',
    maxRetries: 0,
    fetch: async () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
  });
  return client.messages.stream({ model: 'smart', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
}

const start: StreamEvent = { type: 'start', id: 'chatcmpl-abc', model: 'gpt-x', created: 1 };

describe('AnthropicStreamEncoder', () => {
  it('streams text in the exact event order, with usage that arrived after the finish', async () => {
    const sse = encodeAll([
      [start],
      [{ type: 'text_delta', index: 0, text: 'Hello' }],
      [{ type: 'text_delta', index: 0, text: ' world' }],
      [{ type: 'finish', finishReason: 'stop' }],
      [{ type: 'usage', usage: { inputTokens: 12, outputTokens: 2, cachedInputTokens: 4 } }],
    ]);
    const events = checkAnthropicEventOrder(sse);
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(events[0]!.data['message']).toMatchObject({ id: 'msg_chatcmpl-abc', type: 'message', role: 'assistant', model: 'gpt-x', content: [], stop_reason: null });
    expect(events[5]!.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 8, output_tokens: 2, cache_read_input_tokens: 4, cache_creation_input_tokens: 0 },
    });

    const message = await sdkFinalMessage(sse);
    expect(message.content).toEqual([{ type: 'text', text: 'Hello world' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 8, output_tokens: 2, cache_read_input_tokens: 4 });
  });

  it('puts input tokens known at the start into message_start', () => {
    const sse = encodeAll([
      [start, { type: 'usage', usage: { inputTokens: 30, outputTokens: 1 } }],
      [{ type: 'text_delta', index: 0, text: 'x' }],
      [{ type: 'finish', finishReason: 'length' }, { type: 'usage', usage: { inputTokens: 30, outputTokens: 9 } }],
    ]);
    const events = checkAnthropicEventOrder(sse);
    expect((events[0]!.data['message'] as { usage: unknown }).usage).toMatchObject({ input_tokens: 30 });
    expect(events.at(-2)!.data).toMatchObject({ delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } });
  });

  it('streams a tool call with its JSON in pieces, which the SDK assembles into input', async () => {
    const sse = encodeAll([
      [start, { type: 'text_delta', index: 0, text: 'Let me check.' }],
      [{ type: 'tool_call_start', index: 1, id: 'call_1', name: 'get_weather' }],
      [{ type: 'tool_call_delta', index: 1, argumentsDelta: '{"ci' }],
      [{ type: 'tool_call_delta', index: 1, argumentsDelta: 'ty": "Par' }],
      [{ type: 'tool_call_delta', index: 1, argumentsDelta: 'is"}' }],
      [{ type: 'finish', finishReason: 'tool_calls' }],
    ]);
    const events = checkAnthropicEventOrder(sse);
    expect(events[4]!.data).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_1', name: 'get_weather', input: {} } });
    expect(events[5]!.data).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"ci' } });

    const message = await sdkFinalMessage(sse);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
  });

  it('streams thinking with its signature before the text', async () => {
    const sse = encodeAll([
      [start, { type: 'thinking_delta', index: 0, text: 'The user ' }],
      [{ type: 'thinking_delta', index: 0, text: 'says hi.' }, { type: 'thinking_signature', index: 0, signature: 'c2ln' }],
      [{ type: 'text_delta', index: 1, text: 'Hi!' }],
      [{ type: 'finish', finishReason: 'stop' }],
    ]);
    const events = checkAnthropicEventOrder(sse);
    expect(events[1]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(events[4]!.data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'c2ln' } });

    const message = await sdkFinalMessage(sse);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'The user says hi.', signature: 'c2ln' },
      { type: 'text', text: 'Hi!' },
    ]);
  });

  it('renumbers skipping canonical indices and runs parallel tool calls one after another', async () => {
    const sse = encodeAll([
      [start, { type: 'tool_call_start', index: 3, id: 'a', name: 'one' }, { type: 'tool_call_delta', index: 3, argumentsDelta: '{}' }],
      [{ type: 'tool_call_start', index: 7, id: 'b', name: 'two' }, { type: 'tool_call_delta', index: 7, argumentsDelta: '{"n":1}' }],
      [{ type: 'finish', finishReason: 'tool_calls' }],
    ]);
    const events = checkAnthropicEventOrder(sse);
    expect(events.filter((e) => e.event === 'content_block_start').map((e) => e.data.index)).toEqual([0, 1]);
    const message = await sdkFinalMessage(sse);
    expect(message.content.map((b) => (b.type === 'tool_use' ? [b.id, b.input] : b.type))).toEqual([['a', {}], ['b', { n: 1 }]]);
  });

  it('opens a fresh block for text that returns to a closed block, keeping the order valid', () => {
    const sse = encodeAll([
      [start, { type: 'thinking_delta', index: 0, text: 'a' }, { type: 'text_delta', index: 1, text: 'b' }, { type: 'thinking_delta', index: 0, text: 'c' }],
      [{ type: 'finish', finishReason: 'stop' }],
    ]);
    const events = checkAnthropicEventOrder(sse);
    const blocks = events.filter((e) => e.event === 'content_block_start').map((e) => (e.data['content_block'] as { type: string }).type);
    expect(blocks).toEqual(['thinking', 'text', 'thinking']);
  });

  it('reports a stop sequence and a refusal', () => {
    const stopped = checkAnthropicEventOrder(encodeAll([[start, { type: 'text_delta', index: 0, text: 'a' }, { type: 'finish', finishReason: 'stop', stopSequence: 'END' }]]));
    expect(stopped.at(-2)!.data['delta']).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    const refused = checkAnthropicEventOrder(encodeAll([[start, { type: 'text_delta', index: 0, text: 'a' }, { type: 'finish', finishReason: 'content_filter' }]]));
    expect(refused.at(-2)!.data['delta']).toEqual({ stop_reason: 'refusal', stop_sequence: null });
  });

  it('still produces a valid, empty message when nothing but the end arrived', async () => {
    const sse = encodeAll([[{ type: 'start', id: '', model: '', created: 0 }]], 'claude-route');
    const events = checkAnthropicEventOrder(sse);
    expect(events.map((e) => e.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
    const message = await sdkFinalMessage(sse);
    expect(message.model).toBe('claude-route');
    expect(message.id).toMatch(/^msg_/);
    expect(message.content).toEqual([]);
  });

  it('emits nothing before content, and nothing after finish()', () => {
    const encoder = new AnthropicStreamEncoder('m');
    expect(encoder.encode([start, { type: 'usage', usage: { inputTokens: 1, outputTokens: 0 } }])).toBe('');
    const closing = encoder.finish();
    expect(parseAnthropicSse(closing).map((e) => e.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(encoder.finish()).toBe('');
    expect(encoder.encode([{ type: 'text_delta', index: 0, text: 'late' }])).toBe('');
  });
});
