import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';
import { convertToGeminiSchema } from './convert-to-gemini-schema.js';
import { encodeGeminiRequest } from './encode-gemini-request.js';
import { testDeployment } from '../../../test/support/test-deployment.js';

function deployment(): Deployment {
  return testDeployment({ id: 'gemini-direct', provider: 'gemini', model: 'gemini-2.5-pro' });
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

function body(request: ChatRequest): Record<string, unknown> {
  const encoded = encodeGeminiRequest(request, deployment());
  if (!encoded.ok) throw new Error(`expected a body, got: ${encoded.failure.message}`);
  return encoded.body;
}

function failure(request: ChatRequest) {
  const encoded = encodeGeminiRequest(request, deployment());
  if (encoded.ok) throw new Error('expected a failure');
  return encoded.failure;
}

const SIG = 'skip_thought_signature_validator';

describe('encodeGeminiRequest', () => {
  it('sends contents and a system instruction, and nothing it was not asked for', () => {
    expect(body(chat({ system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Be kind.' }] }))).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hello' }] }],
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Be kind.' }] },
    });
  });

  it('names the assistant `model`, merges consecutive turns and drops empty ones', () => {
    const encoded = body(chat({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'a' }] },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'c' }, { type: 'thinking', text: 'private', signature: 'x' }] },
        { role: 'assistant', content: [{ type: 'text', text: '' }] },
        { role: 'user', content: [{ type: 'text', text: 'd' }] },
      ],
    }));
    expect(encoded['contents']).toEqual([
      { role: 'user', parts: [{ text: 'a' }, { text: 'b' }] },
      { role: 'model', parts: [{ text: 'c' }] },
      { role: 'user', parts: [{ text: 'd' }] },
    ]);
  });

  it('sends base64 images inline and refuses image URLs by name', () => {
    const encoded = body(chat({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what?' }, { type: 'image', source: { kind: 'base64', mediaType: 'image/jpeg', data: '/9j/4AAQ' } }] }],
    }));
    expect(encoded['contents']).toEqual([{ role: 'user', parts: [{ text: 'what?' }, { inlineData: { mimeType: 'image/jpeg', data: '/9j/4AAQ' } }] }]);
    const f = failure(chat({ messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } }] }] }));
    expect(f).toMatchObject({ outcome: 'bad_request', status: 400 });
    expect(f.message).toBe('an image URL (messages[0]; send the image as base64 data instead) is not supported by Gemini deployment gemini-direct');
  });

  it('sends tool calls as functionCall parts and results as functionResponse parts named from the call', () => {
    const encoded = body(chat({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather and time?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_call', id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'tool_call', id: 'call_b', name: 'get_time', arguments: '' },
          ],
        },
        { role: 'tool', toolCallId: 'call_a', content: [{ type: 'text', text: '18C' }] },
        { role: 'tool', toolCallId: 'call_b', toolName: 'get_time', content: [{ type: 'text', text: 'no clock' }], isError: true },
      ],
    }));
    expect(encoded['contents']).toEqual([
      { role: 'user', parts: [{ text: 'weather and time?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIG },
          { functionCall: { name: 'get_time', args: {} }, thoughtSignature: SIG },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { output: '18C' } } },
          { functionResponse: { name: 'get_time', response: { error: 'no clock' } } },
        ],
      },
    ]);
  });

  it('refuses a tool result whose call it cannot find, and arguments that are not a JSON object', () => {
    const orphan = failure(chat({ messages: [{ role: 'tool', toolCallId: 'call_zz', content: [{ type: 'text', text: 'x' }] }] }));
    expect(orphan.outcome).toBe('bad_request');
    expect(orphan.message).toContain('call_zz');
    const bad = failure(chat({
      messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }, { role: 'assistant', content: [{ type: 'tool_call', id: 'call_q', name: 'search', arguments: '{oops' }] }],
    }));
    expect(bad.outcome).toBe('bad_request');
    expect(bad.message).toContain('tool call call_q (search)');
  });

  it('declares tools with Gemini schemas, and tool choice as functionCallingConfig', () => {
    const tools = [
      {
        name: 'get_weather',
        description: 'Weather now',
        parameters: {
          $schema: 'http://json-schema.org/draft-07/schema#',
          type: 'object',
          additionalProperties: false,
          properties: { city: { type: 'string', format: 'uri' }, unit: { type: ['string', 'null'], enum: ['c', 'f', null] } },
          required: ['city'],
        },
      },
      { name: 'now', parameters: { type: 'object', properties: {} } },
    ];
    const encoded = body(chat({ tools, toolChoice: { type: 'tool', name: 'get_weather' } }));
    expect(encoded['tools']).toEqual([{
      functionDeclarations: [
        {
          name: 'get_weather',
          description: 'Weather now',
          parameters: {
            type: 'OBJECT',
            properties: { city: { type: 'STRING' }, unit: { type: 'STRING', nullable: true, enum: ['c', 'f'] } },
            required: ['city'],
          },
        },
        { name: 'now' },
      ],
    }]);
    expect(encoded['toolConfig']).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    expect(body(chat({ tools, toolChoice: { type: 'auto' } }))['toolConfig']).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(body(chat({ tools, toolChoice: { type: 'required' } }))['toolConfig']).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(body(chat({ tools, toolChoice: { type: 'none' } }))['toolConfig']).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(body(chat({ tools }))['toolConfig']).toBeUndefined();
  });

  it('maps sampling, limits, stop sequences and thinking to generationConfig', () => {
    const encoded = body(chat({
      maxTokens: 500,
      sampling: { temperature: 0.4, topP: 0.9, topK: 32, seed: 7, presencePenalty: 0.1, frequencyPenalty: 0.2 },
      stop: ['END'],
      reasoning: { budgetTokens: 2048 },
    }));
    expect(encoded['generationConfig']).toEqual({
      maxOutputTokens: 500,
      temperature: 0.4,
      topP: 0.9,
      topK: 32,
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.2,
      stopSequences: ['END'],
      thinkingConfig: { thinkingBudget: 2048, includeThoughts: true },
    });
    expect(body(chat({ reasoning: { budgetTokens: 0 } }))['generationConfig']).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(body(chat({ reasoning: { effort: 'medium' } }))['generationConfig']).toEqual({ thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } });
    expect(body(chat({ sampling: { temperature: 3 } }))['generationConfig']).toEqual({ temperature: 2 });
  });

  it('asks for JSON, with the schema converted, for the JSON response formats', () => {
    expect(body(chat({ responseFormat: { type: 'json_object' } }))['generationConfig']).toEqual({ responseMimeType: 'application/json' });
    const schema = { type: 'object', properties: { answer: { type: 'integer', format: 'int32' } }, required: ['answer'], additionalProperties: false };
    expect(body(chat({ responseFormat: { type: 'json_schema', name: 'result', schema } }))['generationConfig']).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'OBJECT', properties: { answer: { type: 'INTEGER', format: 'int32' } }, required: ['answer'] },
    });
    expect(body(chat({ responseFormat: { type: 'text' } }))['generationConfig']).toBeUndefined();
  });

  it('refuses a recursive schema and untranslatable features by name', () => {
    const tree = { type: 'object', properties: { children: { type: 'array', items: { $ref: '#' } } } };
    const f = failure(chat({ responseFormat: { type: 'json_schema', name: 'tree', schema: tree } }));
    expect(f.message).toBe('response_format json_schema tree with a recursive $ref (#) is not supported by Gemini deployment gemini-direct');
    expect(failure(chat({ untranslatable: ['logprobs', 'n > 1'] })).message).toBe('logprobs, n > 1 is not supported by Gemini deployment gemini-direct');
  });
});

describe('convertToGeminiSchema', () => {
  it('inlines local $refs, keeping a sibling description', () => {
    const schema = {
      type: 'object',
      $defs: { address: { type: 'object', properties: { street: { type: 'string' } } } },
      properties: { home: { $ref: '#/$defs/address', description: 'Where they live' } },
    };
    expect(convertToGeminiSchema(schema)).toEqual({
      type: 'OBJECT',
      properties: { home: { type: 'OBJECT', properties: { street: { type: 'STRING' } }, description: 'Where they live' } },
    });
  });

  it('rewrites nullable unions, oneOf, const and type lists the Gemini way', () => {
    expect(convertToGeminiSchema({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toEqual({ type: 'STRING', nullable: true });
    expect(convertToGeminiSchema({ oneOf: [{ type: 'string' }, { type: 'number' }] })).toEqual({ anyOf: [{ type: 'STRING' }, { type: 'NUMBER' }] });
    expect(convertToGeminiSchema({ type: ['integer', 'boolean'] })).toEqual({ anyOf: [{ type: 'INTEGER' }, { type: 'BOOLEAN' }] });
    expect(convertToGeminiSchema({ const: 'fixed' })).toEqual({ type: 'STRING', enum: ['fixed'] });
    // Numeric enums have no Gemini form; the type stays.
    expect(convertToGeminiSchema({ type: 'integer', enum: [1, 2] })).toEqual({ type: 'INTEGER' });
    expect(convertToGeminiSchema({ type: 'string', minLength: 1, maxLength: 5, pattern: '^a', exclusiveMinimum: 3, examples: ['a'] }))
      .toEqual({ type: 'STRING', minLength: 1, maxLength: 5, pattern: '^a' });
  });
});
