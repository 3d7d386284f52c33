import { describe, expect, it } from 'vitest';
import { decodeAnthropicResponse } from './decode-anthropic-response.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
import { anthropicMessage } from './anthropic-wire.js';

const NOW_S = 1_760_000_000;

function decode(json: unknown) {
  return decodeAnthropicResponse(anthropicMessage.parse(json), NOW_S);
}

describe('decodeAnthropicResponse', () => {
  it('decodes thinking, text and tool_use blocks in order, with usage including cache tokens', () => {
    const response = decode({
      id: 'msg_01',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [
        { type: 'thinking', thinking: 'Need the weather.', signature: 'EqQBCgIYAh==' },
        { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' },
        { type: 'text', text: 'Let me check.', citations: null },
        { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris', days: 2 } },
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 90, cache_read_input_tokens: 2000, cache_creation_input_tokens: 300, service_tier: 'standard' },
    });
    expect(response).toEqual({
      id: 'msg_01',
      model: 'claude-sonnet-4-5-20250929',
      created: NOW_S,
      content: [
        { type: 'thinking', text: 'Need the weather.', signature: 'EqQBCgIYAh==' },
        { type: 'thinking', text: '', redactedData: 'EmwKAhgBEgy3va3pzix' },
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_call', id: 'toolu_01', name: 'get_weather', arguments: '{"city":"Paris","days":2}' },
      ],
      finishReason: 'tool_calls',
      usage: { inputTokens: 2310, outputTokens: 90, cachedInputTokens: 2000, cacheWriteTokens: 300 },
    });
  });

  it('keeps the stop sequence that ended the answer', () => {
    const response = decode({
      id: 'msg_02', model: 'claude-haiku-4-5', content: [{ type: 'text', text: 'one two' }],
      stop_reason: 'stop_sequence', stop_sequence: 'three', usage: { input_tokens: 5, output_tokens: 2 },
    });
    expect(response.finishReason).toBe('stop');
    expect(response.stopSequence).toBe('three');
    expect(response.usage).toEqual({ inputTokens: 5, outputTokens: 2 });
  });

  it('maps every stop reason', () => {
    expect(mapAnthropicStopReason('end_turn')).toBe('stop');
    expect(mapAnthropicStopReason('stop_sequence')).toBe('stop');
    expect(mapAnthropicStopReason('pause_turn')).toBe('stop');
    expect(mapAnthropicStopReason('max_tokens')).toBe('length');
    expect(mapAnthropicStopReason('model_context_window_exceeded')).toBe('length');
    expect(mapAnthropicStopReason('tool_use')).toBe('tool_calls');
    expect(mapAnthropicStopReason('refusal')).toBe('content_filter');
    expect(mapAnthropicStopReason(null)).toBe('stop');
  });

  it('rejects a body that is not a message', () => {
    expect(anthropicMessage.safeParse({ id: 'x', model: 'm', content: [{ type: 'tool_use', id: 't' }] }).success).toBe(false);
    expect(anthropicMessage.safeParse({ type: 'error', error: { type: 'api_error' } }).success).toBe(false);
  });
});
