import { describe, expect, it } from 'vitest';
import { checkResponsesStream } from '../../../test/support/responses-stream-rules.js';
import type { Envelope } from './encode-responses-response.js';
import { ResponsesStreamEncoder } from './responses-stream-encoder.js';

const envelope: Envelope = { id: 'resp_1', createdAt: 1_700_000_000, model: 'smart', params: { model: 'smart', instructions: 'Be brief.', metadata: { app: 'x' } } };

describe('ResponsesStreamEncoder', () => {
  it('emits text as one message item in OpenAI order, ending with the completed response and its usage', () => {
    const encoder = new ResponsesStreamEncoder(envelope);
    let text = encoder.encode([{ type: 'start', id: 'x', model: 'claude', created: 1 }, { type: 'text_delta', index: 0, text: 'Hel' }]);
    text += encoder.encode([{ type: 'text_delta', index: 0, text: 'lo' }, { type: 'finish', finishReason: 'stop' }, { type: 'usage', usage: { inputTokens: 5, outputTokens: 2 } }]);
    text += encoder.finish();
    const stream = checkResponsesStream(text);
    expect(stream.types).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(stream.text).toBe('Hello');
    expect(stream.response).toMatchObject({ id: 'resp_1', status: 'completed', usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 }, instructions: 'Be brief.', metadata: { app: 'x' } });
    expect(stream.response.output).toEqual([expect.objectContaining({ type: 'message', content: [expect.objectContaining({ type: 'output_text', text: 'Hello' })] })]);
  });

  it('closes each item before the next: thinking, text, then two function calls with streamed arguments', () => {
    const encoder = new ResponsesStreamEncoder(envelope);
    const text =
      encoder.encode([
        { type: 'thinking_delta', index: 0, text: 'hmm' },
        { type: 'text_delta', index: 1, text: 'Looking.' },
        { type: 'tool_call_start', index: 2, id: 'call_a', name: 'f' },
        { type: 'tool_call_delta', index: 2, argumentsDelta: '{"a":' },
        { type: 'tool_call_delta', index: 2, argumentsDelta: '1}' },
        { type: 'tool_call_start', index: 3, id: 'call_b', name: 'g' },
        { type: 'finish', finishReason: 'tool_calls' },
      ]) + encoder.finish();
    const stream = checkResponsesStream(text);
    expect(stream.calls).toEqual([{ callId: 'call_a', name: 'f', arguments: '{"a":1}' }, { callId: 'call_b', name: 'g', arguments: '' }]);
    expect(stream.response.output.map((item) => item.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
  });

  it('reports a length stop as incomplete', () => {
    const encoder = new ResponsesStreamEncoder(envelope);
    const stream = checkResponsesStream(encoder.encode([{ type: 'text_delta', index: 0, text: 'cut' }, { type: 'finish', finishReason: 'length' }]) + encoder.finish());
    expect(stream.types.at(-1)).toBe('response.incomplete');
    expect(stream.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('ends a broken stream with response.failed carrying the reason', () => {
    const encoder = new ResponsesStreamEncoder(envelope);
    const stream = checkResponsesStream(encoder.encode([{ type: 'text_delta', index: 0, text: 'par' }]) + encoder.failed('server_error', 'The answer was interrupted: reset'));
    expect(stream.status).toBe('failed');
    expect(stream.response).toMatchObject({ error: { code: 'server_error', message: 'The answer was interrupted: reset' } });
  });

  it('after a passed-through stream, numbers its events after the provider\'s and opens nothing twice', () => {
    const encoder = new ResponsesStreamEncoder(envelope, () => 7);
    const text = encoder.failed('server_error', 'cut');
    expect(text.startsWith('event: response.failed\n')).toBe(true);
    expect(text).toContain('"sequence_number":8');
  });
});
