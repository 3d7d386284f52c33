import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';
import { DEFAULT_MAX_TOKENS, encodeAnthropicRequest } from './encode-anthropic-request.js';
import { testDeployment } from '../../../test/support/test-deployment.js';

function deployment(overrides: Partial<Deployment> = {}): Deployment {
  return testDeployment({
    id: 'claude-direct',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    capabilities: { tools: true, vision: true, jsonMode: true, prefill: true, streaming: true },
    ...overrides,
  });
}

function chat(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'smart',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    tools: [],
    stop: [],
    sampling: {},
    stream: false,
    streamUsage: false,
    extensions: {},
    untranslatable: [],
    ...overrides,
  };
}

function body(request: ChatRequest, d = deployment()): Record<string, unknown> {
  const encoded = encodeAnthropicRequest(request, d);
  if (!encoded.ok) throw new Error(`expected a body, got: ${encoded.failure.message}`);
  return encoded.body;
}

function failure(request: ChatRequest, d = deployment()) {
  const encoded = encodeAnthropicRequest(request, d);
  if (encoded.ok) throw new Error('expected a failure');
  return encoded.failure;
}

describe('encodeAnthropicRequest', () => {
  it('sends the upstream model, a default max_tokens and plain user text', () => {
    expect(body(chat())).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    });
  });

  it('takes max_tokens from the request, else from the deployment capabilities', () => {
    expect(body(chat({ maxTokens: 100 }))['max_tokens']).toBe(100);
    const big = deployment({ capabilities: { tools: true, vision: true, jsonMode: true, prefill: true, streaming: true, maxOutputTokens: 64_000 } });
    expect(body(chat(), big)['max_tokens']).toBe(64_000);
    expect(body(chat({ maxTokens: 50 }), big)['max_tokens']).toBe(50);
  });

  it('sends the system prompt as a string, or as blocks when a part carries cache_control', () => {
    expect(body(chat({ system: [{ type: 'text', text: 'Be brief.' }] }))['system']).toBe('Be brief.');
    const cached = body(chat({ system: [{ type: 'text', text: 'Long policy', cacheControl: { type: 'ephemeral' } }, { type: 'text', text: 'Be brief.' }] }));
    expect(cached['system']).toEqual([
      { type: 'text', text: 'Long policy', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Be brief.' },
    ]);
    expect(body(chat({ system: [{ type: 'text', text: '' }] }))['system']).toBeUndefined();
  });

  it('merges consecutive same-role messages and drops empty ones', () => {
    const encoded = body(chat({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'one' }] },
        { role: 'user', content: [{ type: 'text', text: 'two' }] },
        { role: 'assistant', content: [{ type: 'text', text: '' }] },
        { role: 'user', content: [{ type: 'text', text: 'three' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'prefill' }] },
      ],
    }));
    expect(encoded['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }, { type: 'text', text: 'three' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'prefill' }] },
    ]);
  });

  it('turns tool calls into tool_use with parsed input and merges consecutive tool results into one user turn', () => {
    const encoded = body(chat({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather and time?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool_call', id: 'call_2', name: 'get_time', arguments: '' },
          ],
        },
        { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: '18°C' }] },
        { role: 'tool', toolCallId: 'call_2', content: [{ type: 'text', text: 'clock broken' }], isError: true },
        { role: 'user', content: [{ type: 'text', text: 'thanks' }] },
      ],
    }));
    expect(encoded['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather and time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: [{ type: 'text', text: '18°C' }] },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: 'clock broken' }], is_error: true },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
  });

  it('refuses tool-call arguments that are not a JSON object, naming the call', () => {
    const request = (args: string) => chat({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'go' }] },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'call_bad', name: 'search', arguments: args }] },
        { role: 'tool', toolCallId: 'call_bad', content: [{ type: 'text', text: 'x' }] },
      ],
    });
    for (const args of ['{"q": "unterminated', '[1,2]', '"text"']) {
      const f = failure(request(args));
      expect(f).toMatchObject({ outcome: 'bad_request', status: 400 });
      expect(f.message).toContain('call_bad');
      expect(f.message).toContain('search');
      expect(f.message).toContain('claude-direct');
    }
  });

  it('encodes base64 and URL images', () => {
    const encoded = body(chat({
      messages: [{
        role: 'user',
        content: [
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { kind: 'url', url: 'https://example.com/cat.jpg' }, detail: 'high' },
          { type: 'text', text: 'what are these?' },
        ],
      }],
    }));
    expect(encoded['messages']).toEqual([{
      role: 'user',
      content: [
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        { type: 'text', text: 'what are these?' },
      ],
    }]);
  });

  it('sends signed thinking back, redacted thinking as redacted_thinking, and leaves unsigned reasoning behind', () => {
    const encoded = body(chat({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'q' }] },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', text: 'hmm', signature: 'sig==' },
            { type: 'thinking', text: '', redactedData: 'opaque' },
            { type: 'thinking', text: 'from another provider' },
            { type: 'text', text: 'answer' },
          ],
        },
        { role: 'user', content: [{ type: 'text', text: 'more' }] },
      ],
    }));
    expect((encoded['messages'] as { content: unknown }[])[1]!.content).toEqual([
      { type: 'thinking', thinking: 'hmm', signature: 'sig==' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'answer' },
    ]);
  });

  it('encodes tools and every tool choice', () => {
    const tools = [{ name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    const encoded = body(chat({ tools, toolChoice: { type: 'auto' } }));
    expect(encoded['tools']).toEqual([
      { name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
    ]);
    expect(encoded['tool_choice']).toEqual({ type: 'auto' });
    expect(body(chat({ tools, toolChoice: { type: 'required' } }))['tool_choice']).toEqual({ type: 'any' });
    expect(body(chat({ tools, toolChoice: { type: 'none' } }))['tool_choice']).toEqual({ type: 'none' });
    expect(body(chat({ tools, toolChoice: { type: 'tool', name: 'get_weather' }, parallelToolCalls: false }))['tool_choice'])
      .toEqual({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
    expect(body(chat({ tools, parallelToolCalls: false }))['tool_choice']).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(body(chat({ tools }))['tool_choice']).toBeUndefined();
    // A schema without a type still gets the object type Anthropic requires.
    expect(body(chat({ tools: [{ name: 'ping', parameters: {} }] }))['tools']).toEqual([{ name: 'ping', input_schema: { type: 'object' } }]);
  });

  it('maps sampling, stop sequences, user and streaming; clamps temperature to Anthropic range', () => {
    const encoded = body(chat({
      sampling: { temperature: 1.6, topP: 0.9, topK: 40 },
      stop: ['END'],
      user: 'user-42',
      stream: true,
    }));
    expect(encoded).toMatchObject({ temperature: 1, top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'user-42' }, stream: true });
    expect(body(chat({ sampling: { temperature: 0.3 } }))['temperature']).toBe(0.3);
  });

  it('enables thinking from a budget, leaving room for the answer when the client set no limit', () => {
    const encoded = body(chat({ reasoning: { budgetTokens: 8000 } }));
    expect(encoded['thinking']).toEqual({ type: 'enabled', budget_tokens: 8000 });
    expect(encoded['max_tokens']).toBe(8000 + DEFAULT_MAX_TOKENS);
    // A client-set limit is the client's: sent as is (Anthropic judges budget < max_tokens).
    expect(body(chat({ maxTokens: 20_000, reasoning: { budgetTokens: 8000 } }))['max_tokens']).toBe(20_000);
  });

  it('maps a reasoning effort to a budget that yields to the client limits', () => {
    expect(body(chat({ reasoning: { effort: 'low' } }))['thinking']).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(body(chat({ maxTokens: 4000, reasoning: { effort: 'high' } }))['thinking']).toEqual({ type: 'enabled', budget_tokens: 2000 });
    expect(body(chat({ maxTokens: 1000, reasoning: { effort: 'high' } }))['thinking']).toBeUndefined();
    expect(body(chat({ sampling: { temperature: 0.2 }, reasoning: { effort: 'high' } }))['thinking']).toBeUndefined();
    expect(body(chat({ reasoning: { effort: 'minimal' } }))['thinking']).toBeUndefined();
  });

  it.each([
    [{ responseFormat: { type: 'json_object' as const } }, 'response_format json_object'],
    [{ responseFormat: { type: 'json_schema' as const, name: 'answer', schema: { type: 'object' } } }, 'response_format json_schema'],
    [{ sampling: { seed: 7 } }, 'seed'],
    [{ sampling: { frequencyPenalty: 0.5 } }, 'frequency_penalty'],
    [{ sampling: { presencePenalty: 0.5 } }, 'presence_penalty'],
    [{ untranslatable: ['logprobs'] }, 'logprobs'],
  ])('refuses what Anthropic cannot express, by name (%#)', (overrides, feature) => {
    const f = failure(chat(overrides as Partial<ChatRequest>));
    expect(f.outcome).toBe('bad_request');
    expect(f.status).toBe(400);
    expect(f.message).toBe(`${feature} is not supported by Anthropic deployment claude-direct`);
  });

  it('accepts a text response format', () => {
    expect(body(chat({ responseFormat: { type: 'text' } }))).not.toHaveProperty('response_format');
  });
});
