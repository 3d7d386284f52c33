import { describe, expect, it } from 'vitest';
import { KeelError } from '../../core/errors.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

const base = { model: 'smart', max_tokens: 100 };

function refusal(body: unknown): KeelError {
  try {
    parseAnthropicRequest(body);
  } catch (err) {
    if (err instanceof KeelError) return err;
    throw err;
  }
  throw new Error('expected the request to be refused');
}

describe('parseAnthropicRequest', () => {
  it('parses a simple request with every top-level field it models', () => {
    const request = parseAnthropicRequest({
      ...base,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'hello' }],
      stop_sequences: ['END'],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      stream: true,
      metadata: { user_id: 'u-1' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
    });
    expect(request).toEqual({
      model: 'smart',
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
      tools: [],
      maxTokens: 100,
      stop: ['END'],
      sampling: { temperature: 0.2, topP: 0.9, topK: 40 },
      stream: true,
      streamUsage: false,
      user: 'u-1',
      reasoning: { budgetTokens: 2048 },
      extensions: {},
      untranslatable: [],
    });
  });

  it('converts every block type of a conversation with tools, thinking and images', () => {
    const request = parseAnthropicRequest({
      ...base,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?', cache_control: { type: 'ephemeral' } },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'cat' } },
            { type: 'tool_use', id: 'toolu_2', name: 'weather', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'a cat' },
            { type: 'tool_result', tool_use_id: 'toolu_2', is_error: true, content: [{ type: 'text', text: 'down' }, { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] },
            { type: 'text', text: 'thanks' },
          ],
        },
      ],
    });
    expect(request.system).toEqual([{ type: 'text', text: 'sys', cacheControl: { type: 'ephemeral' } }]);
    expect(request.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?', cacheControl: { type: 'ephemeral' } },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBOR' } },
          { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', text: 'hmm', signature: 'sig' },
          { type: 'thinking', text: '', redactedData: 'opaque' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool_call', id: 'toolu_1', name: 'lookup', arguments: '{"q":"cat"}' },
          { type: 'tool_call', id: 'toolu_2', name: 'weather', arguments: '{}' },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_1', toolName: 'lookup', content: [{ type: 'text', text: 'a cat' }] },
      {
        role: 'tool',
        toolCallId: 'toolu_2',
        toolName: 'weather',
        isError: true,
        content: [{ type: 'text', text: 'down' }, { type: 'image', source: { kind: 'url', url: 'https://x/y.png' } }],
      },
      { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
    ]);
    expect(request.untranslatable).toEqual([]);
  });

  it('adds no empty user message for a turn of only tool results', () => {
    const request = parseAnthropicRequest({
      ...base,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't' }] },
      ],
    });
    expect(request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(request.messages[2]).toEqual({ role: 'tool', toolCallId: 't', toolName: 'f', content: [] });
  });

  it('maps tools and tool_choice, and lists server tools as untranslatable', () => {
    const request = parseAnthropicRequest({
      ...base,
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
        { type: 'custom', name: 'other', input_schema: { type: 'object' } },
        { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
      ],
      tool_choice: { type: 'any', disable_parallel_tool_use: true },
    });
    expect(request.tools).toEqual([
      { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'other', parameters: { type: 'object' } },
    ]);
    expect(request.toolChoice).toEqual({ type: 'required' });
    expect(request.parallelToolCalls).toBe(false);
    expect(request.untranslatable).toEqual(['tools[2]: web_search_20250305 tool']);
  });

  it.each([
    [{ type: 'auto' }, { type: 'auto' }],
    [{ type: 'none' }, { type: 'none' }],
    [{ type: 'tool', name: 'f' }, { type: 'tool', name: 'f' }],
  ])('maps tool_choice %j', (choice, expected) => {
    const request = parseAnthropicRequest({ ...base, messages: [{ role: 'user', content: 'x' }], tool_choice: choice });
    expect(request.toolChoice).toEqual(expected);
    expect(request.parallelToolCalls).toBeUndefined();
  });

  it('keeps unknown fields and lists what only an Anthropic deployment can do', () => {
    const request = parseAnthropicRequest({
      ...base,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' } },
            { type: 'image', source: { type: 'file', file_id: 'file_1' } },
            { type: 'text', text: 'summarise' },
          ],
        },
        { role: 'assistant', content: [{ type: 'server_tool_use', id: 's', name: 'web_search', input: {} }] },
      ],
      thinking: { type: 'adaptive' },
      container: 'cnt_1',
      service_tier: 'auto',
      vendor_field: { keep: true },
    });
    expect(request.untranslatable).toEqual([
      'messages[0].content[0]: document',
      'messages[0].content[1]: file image source',
      'messages[1].content[0]: server_tool_use in an assistant message',
      'container',
      'thinking: adaptive',
    ]);
    expect(request.extensions).toEqual({ anthropic: { container: 'cnt_1', service_tier: 'auto', vendor_field: { keep: true } } });
    expect(request.messages[0]!.content).toEqual([{ type: 'text', text: 'summarise' }]);
  });

  it('refuses a system message in the list with the 400 Anthropic gives', () => {
    const request = { ...base, messages: [{ role: 'user', content: 'x' }, { role: 'system', content: 'later' }] };
    expect(() => parseAnthropicRequest(request)).toThrow(expect.objectContaining({ status: 400, param: 'messages[1].role', message: expect.stringMatching(/^messages: Unexpected role "system"/) }));
  });

  it('reads disabled thinking and structured output', () => {
    const request = parseAnthropicRequest({
      ...base,
      messages: [{ role: 'user', content: 'x' }],
      thinking: { type: 'disabled' },
      output_config: { effort: 'low', format: { type: 'json_schema', schema: { type: 'object' } } },
    });
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'x' }] }]);
    expect(request.responseFormat).toEqual({ type: 'json_schema', name: 'output', schema: { type: 'object' } });
    expect(request.reasoning).toEqual({ effort: 'low' });
    expect(request.untranslatable).toEqual([]);
  });

  describe('validation names the field', () => {
    const user = [{ role: 'user', content: 'x' }];
    const cases: [string, unknown, string, RegExp][] = [
      ['a non-object body', [1], 'body', /must be a JSON object/],
      ['missing max_tokens', { model: 'smart', messages: user }, 'max_tokens', /Missing required parameter: 'max_tokens'/],
      ['zero max_tokens', { ...base, max_tokens: 0, messages: user }, 'max_tokens', /'max_tokens'/],
      ['missing model', { max_tokens: 5, messages: user }, 'model', /Missing required parameter: 'model'/],
      ['missing messages', { ...base }, 'messages', /Missing required parameter: 'messages'/],
      ['empty messages', { ...base, messages: [] }, 'messages', /'messages'/],
      ['a bad role', { ...base, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', /messages\[0\]\.role/],
      ['content of the wrong type', { ...base, messages: [{ role: 'user', content: 5 }] }, 'messages[0].content', /expected string or array/],
      ['a text block without text', { ...base, messages: [{ role: 'user', content: [{ type: 'text' }] }] }, 'messages[0].content[0].text', /Missing required parameter: 'messages\[0\]\.content\[0\]\.text'/],
      [
        'a tool_result without tool_use_id',
        { ...base, messages: [{ role: 'user', content: 'a' }, { role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] },
        'messages[1].content[0].tool_use_id',
        /'messages\[1\]\.content\[0\]\.tool_use_id'/,
      ],
      [
        'a bad block inside a tool_result',
        { ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 3 }] }] }] },
        'messages[0].content[0].content[0].text',
        /expected a string/,
      ],
      [
        'a tool_use without input',
        { ...base, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f' }] }] },
        'messages[0].content[0].input',
        /expected an object/,
      ],
      [
        'an image with a bad source type',
        { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'ftp' } }] }] },
        'messages[0].content[0].source.type',
        /'base64', 'url' or 'file'/,
      ],
      [
        'a base64 image without data',
        { ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }] },
        'messages[0].content[0].source.data',
        /Missing required parameter/,
      ],
      [
        'thinking without a signature',
        { ...base, messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x' }] }] },
        'messages[0].content[0].signature',
        /Missing required parameter/,
      ],
      ['a temperature above 1', { ...base, messages: user, temperature: 1.5 }, 'temperature', /'temperature'/],
      ['a tool without input_schema', { ...base, messages: user, tools: [{ name: 'f' }] }, 'tools[0].input_schema', /expected an object/],
      ['a tool_choice without name', { ...base, messages: user, tool_choice: { type: 'tool' } }, 'tool_choice.name', /tool_choice\.name/],
      ['enabled thinking without a budget', { ...base, messages: user, thinking: { type: 'enabled' } }, 'thinking.budget_tokens', /positive integer/],
      ['a system block of the wrong type', { ...base, messages: user, system: [{ type: 'image' }] }, 'system[0].type', /system\[0\]\.type/],
    ];

    it.each(cases)('%s', (_name, body, param, message) => {
      const error = refusal(body);
      expect(error.code).toBe('invalid_request');
      expect(error.status).toBe(400);
      expect(error.param).toBe(param);
      expect(error.message).toMatch(message);
    });
  });
});
