import { describe, expect, it } from 'vitest';
import { decodeGeminiResponse } from './decode-gemini-response.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { geminiResponse } from './gemini-wire.js';

const NOW_S = 1_760_000_000;
const DEPLOYMENT = { id: 'gemini-direct', model: 'gemini-2.5-pro' };

function decode(json: unknown) {
  return decodeGeminiResponse(geminiResponse.parse(json), DEPLOYMENT, NOW_S);
}

describe('decodeGeminiResponse', () => {
  it('decodes thought summaries, text and usage with cached and thinking tokens', () => {
    const result = decode({
      candidates: [{
        content: { role: 'model', parts: [{ text: 'Considering. ', thought: true }, { text: 'Hello ' }, { text: 'world', thoughtSignature: 'Cv8B' }] },
        finishReason: 'STOP',
        index: 0,
      }],
      usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 2, thoughtsTokenCount: 30, cachedContentTokenCount: 100, totalTokenCount: 152 },
      modelVersion: 'gemini-2.5-pro',
      responseId: 'resp-1',
    });
    expect(result).toEqual({
      ok: true,
      response: {
        id: 'resp-1',
        model: 'gemini-2.5-pro',
        created: NOW_S,
        content: [{ type: 'thinking', text: 'Considering. ' }, { type: 'text', text: 'Hello world' }],
        finishReason: 'stop',
        usage: { inputTokens: 120, outputTokens: 32, cachedInputTokens: 100, reasoningTokens: 30 },
      },
    });
  });

  it('gives each function call a unique id and the arguments as JSON; STOP after calls is tool_calls', () => {
    const result = decode({
      candidates: [{ content: { parts: [{ functionCall: { name: 'a', args: { x: 1 } } }, { functionCall: { name: 'b' } }] }, finishReason: 'STOP' }],
    });
    if (!result.ok) throw new Error(result.failure.message);
    const [a, b] = result.response.content as { id: string; name: string; arguments: string }[];
    expect(a).toMatchObject({ type: 'tool_call', name: 'a', arguments: '{"x":1}' });
    expect(b).toMatchObject({ type: 'tool_call', name: 'b', arguments: '{}' });
    expect(a!.id).toMatch(/^call_0_[0-9a-f]+$/);
    expect(b!.id).toMatch(/^call_1_[0-9a-f]+$/);
    expect(result.response.finishReason).toBe('tool_calls');
    expect(result.response.id).toMatch(/^gemini-/);
    expect(result.response.model).toBe('gemini-2.5-pro');
    // Ids differ between answers, so a conversation never holds two calls with one id.
    const again = decode({ candidates: [{ content: { parts: [{ functionCall: { name: 'a', args: {} } }] }, finishReason: 'STOP' }] });
    expect(again.ok && (again.response.content[0] as { id: string }).id).not.toBe(a!.id);
  });

  it('is a content_filter failure when the prompt was blocked or the answer blocked before any content', () => {
    expect(decode({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 8 } })).toEqual({
      ok: false,
      failure: { outcome: 'content_filter', status: 400, providerType: 'PROHIBITED_CONTENT', message: 'Gemini deployment gemini-direct blocked the prompt (blockReason PROHIBITED_CONTENT)' },
    });
    expect(decode({ candidates: [{ finishReason: 'SAFETY', safetyRatings: [] }] })).toEqual({
      ok: false,
      failure: { outcome: 'content_filter', status: 400, providerType: 'SAFETY', message: 'Gemini deployment gemini-direct blocked the answer (finishReason SAFETY)' },
    });
  });

  it('keeps a partial answer a filter stopped, with finish reason content_filter', () => {
    const result = decode({ candidates: [{ content: { parts: [{ text: 'Here is how' }] }, finishReason: 'RECITATION' }] });
    expect(result.ok && result.response.finishReason).toBe('content_filter');
    expect(result.ok && result.response.content).toEqual([{ type: 'text', text: 'Here is how' }]);
  });

  it('maps finish reasons', () => {
    expect(mapGeminiFinishReason('STOP', false)).toBe('stop');
    expect(mapGeminiFinishReason('STOP', true)).toBe('tool_calls');
    expect(mapGeminiFinishReason('MAX_TOKENS', true)).toBe('length');
    for (const reason of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) {
      expect(mapGeminiFinishReason(reason, false)).toBe('content_filter');
    }
    expect(mapGeminiFinishReason('OTHER', false)).toBe('stop');
    expect(mapGeminiFinishReason(undefined, false)).toBe('stop');
  });
});
