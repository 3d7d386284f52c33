import { describe, expect, it } from 'vitest';
import { decodeOpenAIResponse, decodeOpenAIUsage } from './decode-openai-response.js';
import { openaiChatResponse } from './openai-wire.js';

// As OpenAI answers, parsed through the same schema the provider uses.
const answer = (message: Record<string, unknown>, finish_reason: string | null, extra: Record<string, unknown> = {}) =>
  openaiChatResponse.parse({
    id: 'chatcmpl-CJ8abc',
    object: 'chat.completion',
    created: 1758612345,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, annotations: [], ...message }, logprobs: null, finish_reason }],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_3f58d112f7',
    ...extra,
  });

describe('decodeOpenAIResponse', () => {
  it('decodes a text answer with its id, model, time and usage', () => {
    const response = decodeOpenAIResponse(answer({ content: 'Paris is the capital.' }, 'stop'), 999);
    expect(response).toEqual({
      id: 'chatcmpl-CJ8abc',
      model: 'gpt-4.1-2025-04-14',
      created: 1758612345,
      content: [{ type: 'text', text: 'Paris is the capital.' }],
      finishReason: 'stop',
      usage: { inputTokens: 19, outputTokens: 10, cachedInputTokens: 0, reasoningTokens: 0 },
    });
  });

  it('decodes tool calls, with no empty text part beside them', () => {
    const toolCalls = [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"tz":"Europe/Paris"}' } },
    ];
    const response = decodeOpenAIResponse(answer({ content: null, tool_calls: toolCalls }, 'tool_calls'), 0);
    expect(response.content).toEqual([
      { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'tool_call', id: 'call_2', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
    ]);
    expect(response.finishReason).toBe('tool_calls');
  });

  it('puts reasoning text (DeepSeek, vLLM) first as thinking', () => {
    const response = decodeOpenAIResponse(answer({ content: '42', reasoning_content: 'Six times seven.' }, 'stop'), 0);
    expect(response.content).toEqual([{ type: 'thinking', text: 'Six times seven.' }, { type: 'text', text: '42' }]);
  });

  it('shows a refusal as the text, and maps length and content_filter', () => {
    expect(decodeOpenAIResponse(answer({ content: null, refusal: "I can't help with that." }, 'stop'), 0).content).toEqual([{ type: 'text', text: "I can't help with that." }]);
    expect(decodeOpenAIResponse(answer({ content: 'cut' }, 'length'), 0).finishReason).toBe('length');
    expect(decodeOpenAIResponse(answer({ content: '' }, 'content_filter'), 0)).toMatchObject({ content: [], finishReason: 'content_filter' });
    expect(decodeOpenAIResponse(answer({ content: 'x' }, 'function_call'), 0).finishReason).toBe('tool_calls');
  });

  it('fills what an OpenAI-compatible server leaves out: time from the clock, zero usage', () => {
    const bare = openaiChatResponse.parse({ id: 'cmpl-1', model: 'llama-3.1-8b', choices: [{ message: { content: 'hi' }, finish_reason: null }] });
    const response = decodeOpenAIResponse(bare, 1_700_000_000);
    expect(response.created).toBe(1_700_000_000);
    expect(response.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(response.finishReason).toBe('stop');
  });
});

describe('decodeOpenAIUsage', () => {
  it('keeps cached and reasoning tokens when present', () => {
    expect(decodeOpenAIUsage({ prompt_tokens: 1200, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 256 } })).toEqual({
      inputTokens: 1200,
      outputTokens: 300,
      cachedInputTokens: 1024,
      reasoningTokens: 256,
    });
    expect(decodeOpenAIUsage(null)).toEqual({ inputTokens: 0, outputTokens: 0 });
  });
});
