import { describe, expect, it } from 'vitest';
import type { ChatResponse } from '../../core/chat-response.js';
import { anthropicStopReason, encodeAnthropicResponse, toolInput } from './encode-anthropic-response.js';

const base: ChatResponse = {
  id: 'chatcmpl-1',
  model: 'gpt-x',
  created: 1,
  content: [{ type: 'text', text: 'Hello' }],
  finishReason: 'stop',
  usage: { inputTokens: 10, outputTokens: 3 },
};

describe('encodeAnthropicResponse', () => {
  it('encodes a text answer in the Messages shape', () => {
    expect(encodeAnthropicResponse(base)).toEqual({
      id: 'msg_chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'gpt-x',
      content: [{ type: 'text', text: 'Hello' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    });
  });

  it('encodes thinking, redacted thinking and tool calls in order, and drops empty text', () => {
    const body = encodeAnthropicResponse({
      ...base,
      id: 'msg_kept',
      content: [
        { type: 'thinking', text: 'hmm', signature: 'sig' },
        { type: 'thinking', text: '', redactedData: 'opaque' },
        { type: 'thinking', text: 'unsigned' },
        { type: 'text', text: '' },
        { type: 'tool_call', id: 'call_1', name: 'f', arguments: '{"a":[1,2]}' },
      ],
      finishReason: 'tool_calls',
    });
    expect(body['id']).toBe('msg_kept');
    expect(body['stop_reason']).toBe('tool_use');
    expect(body['content']).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'thinking', thinking: 'unsigned', signature: '' },
      { type: 'tool_use', id: 'call_1', name: 'f', input: { a: [1, 2] } },
    ]);
  });

  it('reports cached input apart from the uncached part', () => {
    const body = encodeAnthropicResponse({ ...base, usage: { inputTokens: 100, outputTokens: 5, cachedInputTokens: 60, cacheWriteTokens: 30 } });
    expect(body['usage']).toEqual({ input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 60, cache_creation_input_tokens: 30 });
  });

  it('names the stop sequence that ended the answer', () => {
    const body = encodeAnthropicResponse({ ...base, stopSequence: '###' });
    expect(body['stop_reason']).toBe('stop_sequence');
    expect(body['stop_sequence']).toBe('###');
  });
});

describe('anthropicStopReason', () => {
  it.each([
    ['stop', undefined, 'end_turn'],
    ['stop', 'X', 'stop_sequence'],
    ['length', undefined, 'max_tokens'],
    ['tool_calls', undefined, 'tool_use'],
    ['content_filter', undefined, 'refusal'],
  ] as const)('%s (%s) → %s', (reason, sequence, expected) => {
    expect(anthropicStopReason(reason, sequence)).toBe(expected);
  });
});

describe('toolInput', () => {
  it('parses object arguments and turns anything else into {}', () => {
    expect(toolInput('{"city":"Paris"}')).toEqual({ city: 'Paris' });
    expect(toolInput('')).toEqual({});
    expect(toolInput('{"city": "Par')).toEqual({});
    expect(toolInput('[1,2]')).toEqual({});
    expect(toolInput('"text"')).toEqual({});
  });
});
