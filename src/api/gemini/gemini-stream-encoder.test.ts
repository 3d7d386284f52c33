import { describe, expect, it } from 'vitest';
import { GeminiStreamEncoder } from './gemini-stream-encoder.js';

function chunks(text: string): Record<string, any>[] {
  return text.split('\n\n').filter((f) => f !== '').map((f) => JSON.parse(f.replace(/^data: /, '')) as Record<string, any>);
}

describe('GeminiStreamEncoder', () => {
  it('sends text as it comes, a function call whole, and the finish reason with usage last', () => {
    const encoder = new GeminiStreamEncoder();
    const text =
      encoder.encode([{ type: 'start', id: 'r1', model: 'claude', created: 1 }, { type: 'text_delta', index: 0, text: 'Looking' }]) +
      encoder.encode([{ type: 'tool_call_start', index: 1, id: 'call_1', name: 'f' }, { type: 'tool_call_delta', index: 1, argumentsDelta: '{"a":' }]) +
      encoder.encode([{ type: 'tool_call_delta', index: 1, argumentsDelta: '1}' }, { type: 'finish', finishReason: 'tool_calls' }, { type: 'usage', usage: { inputTokens: 4, outputTokens: 3 } }]) +
      encoder.finish();
    const all = chunks(text);
    expect(all.map((c) => c.candidates[0].content.parts)).toEqual([[{ text: 'Looking' }], [{ functionCall: { id: 'call_1', name: 'f', args: { a: 1 } } }], []]);
    expect(all.at(-1)).toMatchObject({ candidates: [{ finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 3, totalTokenCount: 7 }, modelVersion: 'claude' });
  });

  it('reports a length stop as MAX_TOKENS', () => {
    const encoder = new GeminiStreamEncoder();
    encoder.encode([{ type: 'text_delta', index: 0, text: 'cut' }, { type: 'finish', finishReason: 'length' }]);
    expect(chunks(encoder.finish())[0]).toMatchObject({ candidates: [{ finishReason: 'MAX_TOKENS' }] });
  });
});
