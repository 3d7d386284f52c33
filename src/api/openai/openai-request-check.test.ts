/**
 * The hand check of a Chat Completions request accepts exactly what `openaiChatRequest` accepts: several
 * requests that between them use every message role, content part, tool, tool choice and response format,
 * each field replaced by every kind of value (and the values that only some fields refuse).
 */
import { describe, expect, it } from 'vitest';
import { openaiChatRequest } from '../../providers/openai/openai-wire.js';
import { disagreements } from '../../../test/support/schema-agreement.js';
import { isOpenAIChatRequest } from './openai-request-check.js';

const everything = {
  model: 'smart',
  messages: [
    { role: 'system', content: 'Be brief.', name: 'sys' },
    { role: 'developer', content: [{ type: 'text', text: 'Rules' }] },
    { role: 'user', content: [{ type: 'text', text: 'Look' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }], name: 'ann' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }], refusal: null, reasoning_content: 'thinking', name: 'bot' },
    { role: 'tool', content: 'result', tool_call_id: 'call_1' },
    { role: 'function', content: null, name: 'legacy' },
    { role: 'assistant', content: [{ type: 'text', text: 'Done' }], refusal: 'no' },
  ],
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 100,
  max_completion_tokens: 200,
  temperature: 0.7,
  top_p: 1,
  n: 1,
  stop: ['END', 'STOP'],
  presence_penalty: -1.5,
  frequency_penalty: 2,
  seed: 42,
  user: 'u-1',
  tools: [
    { type: 'function', function: { name: 'lookup', description: 'Finds', parameters: { type: 'object', properties: {} }, strict: true } },
    { type: 'web_search', web_search: {} },
  ],
  tool_choice: { type: 'function', function: { name: 'lookup' } },
  parallel_tool_calls: false,
  response_format: { type: 'json_schema', json_schema: { name: 'answer', description: 'An answer', schema: { type: 'object' }, strict: null } },
  reasoning_effort: 'low',
  metadata: { any: 'thing' },
};

const plain = { model: 'smart', messages: [{ role: 'user', content: 'Hello' }], tool_choice: 'auto', response_format: { type: 'json_object' }, stop: 'END' };
const minimal = { model: 'smart', messages: [{ role: 'user', content: 'Hello' }], response_format: { type: 'text' }, tool_choice: 'required' };

// Values some fields treat specially: the roles and types, the enums, the range ends, the image details.
const EXTRA = ['system', 'developer', 'user', 'assistant', 'tool', 'function', 'image_url', 'json_schema', 'json_object', 'none', 'auto', 'required', 'high', 2, 3, -2, -3, 128, 129, 0.5, 5, ['a', 'b', 'c', 'd', 'e'], { url: '' }];

describe('isOpenAIChatRequest', () => {
  it.each([
    ['a request using every field', everything],
    ['a plain request', plain],
    ['a minimal request', minimal],
  ])('accepts exactly what the schema accepts: %s with every field replaced by every kind of value', (_name, base) => {
    expect(isOpenAIChatRequest(base)).toBe(true);
    const { compared, found } = disagreements(base, isOpenAIChatRequest, openaiChatRequest, EXTRA);
    expect(found).toEqual([]);
    expect(compared).toBeGreaterThan(100);
  });

  it('refuses what is not a request at all', () => {
    for (const body of [null, [], 'text', 42, {}, { model: 'smart' }, { model: 'smart', messages: [] }]) {
      expect(isOpenAIChatRequest(body)).toBe(false);
      expect(openaiChatRequest.safeParse(body).success).toBe(false);
    }
  });
});
