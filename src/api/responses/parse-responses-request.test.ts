import { describe, expect, it } from 'vitest';
import { KeelError } from '../../core/errors.js';
import { parseResponsesRequest } from './parse-responses-request.js';

function refusal(body: unknown): KeelError {
  try {
    parseResponsesRequest(body);
  } catch (err) {
    if (err instanceof KeelError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseResponsesRequest', () => {
  it('reads a string input with instructions as a system prompt and one user message', () => {
    const { request } = parseResponsesRequest({ model: 'smart', input: 'hi', instructions: 'Be brief.', max_output_tokens: 50, temperature: 0.2, user: 'u1' });
    expect(request).toMatchObject({ model: 'smart', system: [{ type: 'text', text: 'Be brief.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], maxTokens: 50, sampling: { temperature: 0.2 }, user: 'u1', surface: 'openai-responses' });
  });

  it('joins an assistant message and its function calls, and names tool results after their call', () => {
    const { request } = parseResponsesRequest({
      model: 'smart',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'weather?' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'reasoning', summary: [] },
        { type: 'function_call_output', call_id: 'call_1', output: '18C' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'call_1', toolName: 'get_weather', content: [{ type: 'text', text: '18C' }] },
    ]);
    expect(request.untranslatable).toEqual([]);
  });

  it('continues the items of an earlier turn', () => {
    const { request, items } = parseResponsesRequest({ model: 'smart', input: 'and now?' }, [{ type: 'message', role: 'user', content: 'hi' }, { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] }]);
    expect(request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(items).toHaveLength(3);
  });

  it('maps function tools, tool choice, JSON schema output and reasoning effort', () => {
    const { request } = parseResponsesRequest({
      model: 'smart',
      input: 'x',
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low' },
    });
    expect(request.tools).toEqual([{ name: 'f', parameters: { type: 'object' }, strict: true }]);
    expect(request.toolChoice).toEqual({ type: 'tool', name: 'f' });
    expect(request.parallelToolCalls).toBe(false);
    expect(request.responseFormat).toEqual({ type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true });
    expect(request.reasoning).toEqual({ effort: 'low' });
  });

  it('lists what only OpenAI can run, by name', () => {
    const { request } = parseResponsesRequest({ model: 'smart', input: [{ type: 'item_reference', id: 'x' }], tools: [{ type: 'web_search' }, { type: 'file_search', vector_store_ids: [] }], prompt: { id: 'p' } });
    expect(request.untranslatable).toEqual(['input[0]: item_reference item', 'prompt', 'tools[0]: web_search tool (built into OpenAI)', 'tools[1]: file_search tool (built into OpenAI)']);
  });

  it.each([
    [{ input: 'x' }, 'model'],
    [{ model: 'smart' }, 'input'],
    [{ model: 'smart', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id'],
    [{ model: 'smart', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
    [{ model: 'smart', input: [{ role: 'user', content: [{ type: 'input_text' }] }] }, 'input[0].content[0].text'],
    [{ model: 'smart', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name'],
    [{ model: 'smart', input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ model: 'smart', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name'],
  ])('refuses %j naming %s', (body, param) => {
    const err = refusal(body);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message).toContain(param);
  });
});
