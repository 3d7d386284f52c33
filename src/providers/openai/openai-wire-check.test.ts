import { describe, expect, it } from 'vitest';
import { readOpenAIChatResponse, readOpenAIChunk } from './openai-wire-check.js';
import { openaiChatResponse, openaiChunk } from './openai-wire.js';
import { disagreements } from '../../../test/support/schema-agreement.js';

const usage = { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } };
const valid = {
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1796357597,
  model: 'sim-1',
  choices: [
    {
      index: 0,
      delta: { role: 'assistant', content: 'Hi', reasoning_content: null, refusal: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      logprobs: null,
      finish_reason: null,
    },
  ],
  usage,
};

describe('readOpenAIChunk', () => {
  it('rejects what a provider might send that is not a chunk', () => {
    for (const notAChunk of [null, [], 'data', 42, { choices: {} }, { id: null }, { usage: { prompt_tokens: 1 } }, { choices: [{ delta: { content: 7 } }] }]) {
      expect(readOpenAIChunk(notAChunk)).toBeUndefined();
      expect(openaiChunk.safeParse(notAChunk).success).toBe(false);
    }
  });

});

const answer = {
  id: 'chatcmpl-2',
  object: 'chat.completion',
  created: 1796357597,
  model: 'sim-1',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hi', refusal: null, reasoning_content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
};

describe('readOpenAIChatResponse', () => {
  it('refuses an answer without choices', () => {
    expect(readOpenAIChatResponse({ ...answer, choices: [] })).toBeUndefined();
    expect(openaiChatResponse.safeParse({ ...answer, choices: [] }).success).toBe(false);
  });
});

describe.each([
  { check: 'readOpenAIChunk', base: valid as object, read: readOpenAIChunk as (json: unknown) => unknown, schema: openaiChunk as { safeParse(json: unknown): { success: boolean } } },
  { check: 'readOpenAIChatResponse', base: answer, read: readOpenAIChatResponse, schema: openaiChatResponse },
])('$check', ({ base, read, schema }) => {
  it('accepts exactly what its zod schema accepts, for every field replaced by every kind of value', () => {
    const { compared, found } = disagreements(base, (json) => read(json) !== undefined, schema);
    expect(found).toEqual([]);
    expect(compared).toBeGreaterThan(300);
  });

  it('returns the parsed JSON itself, without a copy', () => {
    expect(read(base)).toBe(base);
  });
});
