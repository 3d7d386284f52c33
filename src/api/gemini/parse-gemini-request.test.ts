import { describe, expect, it } from 'vitest';
import { KeelError } from '../../core/errors.js';
import { parseGeminiRequest } from './parse-gemini-request.js';

describe('parseGeminiRequest', () => {
  it('reads the system instruction, turns, generation settings and the model from the URL', () => {
    const request = parseGeminiRequest(
      {
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        contents: [{ role: 'user', parts: [{ text: 'hi' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] }, { role: 'model', parts: [{ text: 'hello' }] }, { parts: [{ text: 'again' }] }],
        generationConfig: { temperature: 0.3, maxOutputTokens: 99, stopSequences: ['END'], responseMimeType: 'application/json' },
      },
      'smart',
      true,
    );
    expect(request).toMatchObject({ model: 'smart', stream: true, system: [{ type: 'text', text: 'Be brief.' }], maxTokens: 99, stop: ['END'], sampling: { temperature: 0.3 }, responseFormat: { type: 'json_object' } });
    expect(request.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(request.messages[0]!.content[1]).toEqual({ type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'AAAA' } });
  });

  it('gives id-less function calls ids and matches each response to the latest unanswered call of its name', () => {
    const request = parseGeminiRequest(
      {
        contents: [
          { role: 'user', parts: [{ text: 'weather in two cities' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_weather', args: { city: 'Rome' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { t: 18 } } }, { functionResponse: { name: 'get_weather', response: { t: 25 } } }] },
        ],
        tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }] }],
        toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
      },
      'smart',
      false,
    );
    const [, assistant, first, second] = request.messages;
    const ids = assistant!.role === 'assistant' ? assistant!.content.map((p) => (p.type === 'tool_call' ? p.id : '')) : [];
    expect(new Set(ids).size).toBe(2);
    expect(first).toMatchObject({ role: 'tool', toolCallId: ids[0], toolName: 'get_weather', content: [{ type: 'text', text: '{"t":18}' }] });
    expect(second).toMatchObject({ role: 'tool', toolCallId: ids[1] });
    expect(request.tools).toEqual([{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }]);
    expect(request.toolChoice).toEqual({ type: 'tool', name: 'get_weather' });
  });

  it('lists what only Google can honour', () => {
    const request = parseGeminiRequest({ contents: [{ parts: [{ text: 'x' }, { fileData: { fileUri: 'gs://b/f' } }] }], tools: [{ googleSearch: {} }], cachedContent: 'c/1' }, 'smart', false);
    expect(request.untranslatable).toEqual(['contents[0].parts[1]: fileData', 'cachedContent', 'tools[0]: googleSearch tool']);
  });

  it('refuses a bad body naming the field', () => {
    const refusal = (() => {
      try {
        parseGeminiRequest({ contents: [{ role: 'robot', parts: [{ text: 'x' }] }] }, 'smart', false);
      } catch (err) {
        return err as KeelError;
      }
      throw new Error('expected a refusal');
    })();
    expect(refusal).toMatchObject({ status: 400, param: 'contents[0].role' });
  });
});
