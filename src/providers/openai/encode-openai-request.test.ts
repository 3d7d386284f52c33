import { describe, expect, it } from 'vitest';
import { chatRequest, type ChatRequest } from '../../core/chat-request.js';
import { encodeOpenAIRequest } from './encode-openai-request.js';
import { openaiChatRequest } from './openai-wire.js';

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Encodes and checks the body is a valid Chat Completions request by the same schema Keel validates clients with. */
function encode(request: ChatRequest, model = 'gpt-4.1'): Record<string, unknown> {
  const body = encodeOpenAIRequest(request, model);
  const valid = openaiChatRequest.safeParse(body);
  expect(valid.success, valid.success ? '' : JSON.stringify(valid.error.issues)).toBe(true);
  return body;
}

describe('encodeOpenAIRequest', () => {
  it('sends the system prompt first, the upstream model name, and plain text as a string', () => {
    const body = encode(chatRequest({ model: 'smart', system: [{ type: 'text', text: 'Be terse.' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }), 'gpt-4.1-mini');
    expect(body).toEqual({ model: 'gpt-4.1-mini', messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Hi' }] });
  });

  it('round-trips a tool call: the tool offered, the assistant\'s call, and the result tied to it by id', () => {
    const body = encode(chatRequest({
      model: 'smart',
      tools: [{ ...WEATHER_TOOL, strict: true }],
      toolChoice: { type: 'tool', name: 'get_weather' },
      parallelToolCalls: false,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        { role: 'assistant', content: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', toolCallId: 'call_1', toolName: 'get_weather', content: [{ type: 'text', text: '18°C, clear' }] },
      ],
    }));
    expect(body['tools']).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: WEATHER_TOOL.parameters, strict: true } }]);
    expect(body['tool_choice']).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(body['parallel_tool_calls']).toBe(false);
    expect(body['messages']).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      // OpenAI wants null, not "", as the content of a message that only calls tools.
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '18°C, clear' },
    ]);
  });

  it('keeps an assistant\'s text beside its tool calls, and drops its thinking', () => {
    const body = encode(chatRequest({
      model: 'smart',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'x' }] },
        { role: 'assistant', content: [{ type: 'thinking', text: 'hmm', signature: 'sig' }, { type: 'text', text: 'Checking.' }, { type: 'tool_call', id: 'c', name: 'f', arguments: '{}' }] },
      ],
    }));
    expect((body['messages'] as unknown[])[1]).toEqual({ role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] });
  });

  it('sends images as image_url parts: a URL as is, base64 as a data URL, with the detail hint', () => {
    const body = encode(chatRequest({
      model: 'smart',
      messages: [{
        role: 'user',
        name: 'alice',
        content: [
          { type: 'text', text: 'Compare these.' },
          { type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' }, detail: 'low' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
        ],
      }],
    }));
    expect(body['messages']).toEqual([{
      role: 'user',
      name: 'alice',
      content: [
        { type: 'text', text: 'Compare these.' },
        { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
      ],
    }]);
  });

  it('asks for a JSON schema answer by name, with strict and description', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const body = encode(chatRequest({
      model: 'smart',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      responseFormat: { type: 'json_schema', name: 'reply', schema, strict: true, description: 'One answer' },
    }));
    expect(body['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'reply', schema, strict: true, description: 'One answer' } });
    const jsonMode = encode(chatRequest({ model: 'smart', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], responseFormat: { type: 'json_object' } }));
    expect(jsonMode['response_format']).toEqual({ type: 'json_object' });
  });

  it('maps sampling and limits, clamping a temperature OpenAI would refuse (Anthropic-style clients may not)', () => {
    const body = encode(chatRequest({
      model: 'smart',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      maxTokens: 256,
      stop: ['END'],
      sampling: { temperature: 2.5, topP: 0.9, frequencyPenalty: 0.5, presencePenalty: -0.5, seed: 7, topK: 40 },
      reasoning: { effort: 'low' },
      user: 'user-42',
    }));
    expect(body).toMatchObject({ max_completion_tokens: 256, stop: ['END'], temperature: 2, top_p: 0.9, frequency_penalty: 0.5, presence_penalty: -0.5, seed: 7, reasoning_effort: 'low', user: 'user-42' });
    // OpenAI has no top_k: it is not sent rather than refused upstream.
    expect(body).not.toHaveProperty('top_k');
    expect(body).not.toHaveProperty('parallel_tool_calls');
  });

  it('always asks a stream for its usage, which Keel needs for cost and health', () => {
    const body = encode(chatRequest({ model: 'smart', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], stream: true, streamUsage: false }));
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });
});
