import { describe, expect, it } from 'vitest';
import type { ChatResponse } from './chat-response.js';
import { StreamAccumulator, responseToEvents } from './stream-accumulator.js';

const response: ChatResponse = {
  id: 'r1',
  model: 'm',
  created: 1,
  content: [
    { type: 'thinking', text: 'hmm', signature: 'sig' },
    { type: 'text', text: 'Hello' },
    { type: 'tool_call', id: 'c1', name: 'f', arguments: '{"a":1}' },
  ],
  finishReason: 'tool_calls',
  usage: { inputTokens: 3, outputTokens: 4 },
};

describe('StreamAccumulator', () => {
  it('rebuilds the response its events describe, deltas joined', () => {
    const acc = new StreamAccumulator();
    for (const event of responseToEvents(response)) acc.push(event);
    expect(acc.result()).toEqual(response);

    const split = new StreamAccumulator();
    split.push({ type: 'start', id: 'x', model: 'm', created: 2 });
    split.push({ type: 'text_delta', index: 0, text: 'Hel' });
    split.push({ type: 'text_delta', index: 0, text: 'lo' });
    split.push({ type: 'finish', finishReason: 'stop' });
    expect(split.result()?.content).toEqual([{ type: 'text', text: 'Hello' }]);
  });

  it('has no result for a stream that never finished', () => {
    const acc = new StreamAccumulator();
    acc.push({ type: 'text_delta', index: 0, text: 'partial' });
    expect(acc.result()).toBeUndefined();
  });
});
