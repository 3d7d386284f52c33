import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../core/chat-response.js';
import type { WatchedEvent } from '../http/sse-items.js';
import { OpenAIStreamDecoder } from './openai-stream-decoder.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
/** The `data:` payloads of an SSE file, in order. */
const dataOf = (sse: string): string[] => sse.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice('data: '.length));
const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices, ...extra });

function decodeAll(decoder: OpenAIStreamDecoder, data: string[]): WatchedEvent[] {
  return data.map((d) => decoder.push(d));
}
const eventsOf = (decoded: WatchedEvent[]): StreamEvent[] => decoded.flatMap((d) => d.events);

describe('OpenAIStreamDecoder', () => {
  it('decodes a recorded text stream into start, text, finish and usage, and forwards each event verbatim', () => {
    const data = dataOf(fixture('text-stream.sse'));
    const decoder = new OpenAIStreamDecoder(1);
    const decoded = decodeAll(decoder, data);
    expect(eventsOf(decoded)).toEqual([
      { type: 'start', id: 'chatcmpl-CJ7kRzGX6d1Dxq3o2bY8f4VhMZPaL', model: 'gpt-4.1-2025-04-14', created: 1758612345 },
      { type: 'text_delta', index: 0, text: 'Paris' },
      { type: 'text_delta', index: 0, text: ' is the capital.' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { inputTokens: 14, outputTokens: 6, cachedInputTokens: 0, reasoningTokens: 0 } },
    ]);
    // Every chunk is forwarded byte for byte (fields Keel does not model, like `obfuscation`, included).
    expect(decoded.slice(0, -1).map((d) => d.raw)).toEqual(data.slice(0, -1).map((d) => `data: ${d}\n\n`));
    expect(decoded.at(-1)).toEqual({ events: [], done: true });
    expect(decoder.complete).toBe(true);
  });

  it('keeps a usage chunk Keel asked for on its client\'s behalf from the client, and still reads it', () => {
    const data = dataOf(fixture('text-stream.sse'));
    const decoder = new OpenAIStreamDecoder(1, false);
    const decoded = decodeAll(decoder, data);
    const usage = decoded.at(-2)!;
    expect(usage.events).toEqual([{ type: 'usage', usage: { inputTokens: 14, outputTokens: 6, cachedInputTokens: 0, reasoningTokens: 0 } }]);
    expect(usage.raw).toBeUndefined();
    // Every chunk with choices is still forwarded as it came.
    expect(decoded.slice(0, -2).map((d) => d.raw)).toEqual(data.slice(0, -2).map((d) => `data: ${d}\n\n`));
    expect(decoder.complete).toBe(true);
  });

  it('decodes two streamed tool calls into separate blocks with their argument deltas', () => {
    const decoder = new OpenAIStreamDecoder(1);
    const events = eventsOf(decodeAll(decoder, dataOf(fixture('tool-call-stream.sse'))));
    expect(events.filter((e) => e.type === 'tool_call_start')).toEqual([
      { type: 'tool_call_start', index: 0, id: 'call_Xk2q9LmZ7bVfR1cT0pWn4sHd', name: 'get_weather' },
      { type: 'tool_call_start', index: 1, id: 'call_Pq8rS2tU4vW6xY8zA0bC2dEf', name: 'get_time' },
    ]);
    const args = (index: number) => events.map((e) => (e.type === 'tool_call_delta' && e.index === index ? e.argumentsDelta : '')).join('');
    expect(JSON.parse(args(0))).toEqual({ city: 'Paris' });
    expect(JSON.parse(args(1))).toEqual({ tz: 'Europe/Paris' });
    expect(events).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('gives reasoning text and the answer their own blocks, in order of appearance', () => {
    const decoder = new OpenAIStreamDecoder(1);
    const events = eventsOf(decodeAll(decoder, [
      chunk([{ index: 0, delta: { role: 'assistant', reasoning_content: 'Think.' } }]),
      chunk([{ index: 0, delta: { content: 'Answer.' } }]),
      chunk([{ index: 0, delta: { reasoning_content: ' More.' } }]),
    ]));
    expect(events.slice(1)).toEqual([
      { type: 'thinking_delta', index: 0, text: 'Think.' },
      { type: 'text_delta', index: 1, text: 'Answer.' },
      { type: 'thinking_delta', index: 0, text: ' More.' },
    ]);
  });

  it('shows a refusal as text', () => {
    const events = eventsOf(decodeAll(new OpenAIStreamDecoder(1), [chunk([{ index: 0, delta: { refusal: "I can't help with that." } }])]));
    expect(events).toContainEqual({ type: 'text_delta', index: 0, text: "I can't help with that." });
  });

  it('drops a malformed event, never forwarding it, and counts it', () => {
    const decoder = new OpenAIStreamDecoder(1);
    expect(decoder.push('{"id": "chatcmpl-1", "choices": [')).toEqual({ events: [] });
    expect(decoder.push(JSON.stringify({ choices: 'nope' }))).toEqual({ events: [] });
    expect(decoder.malformedEvents).toBe(2);
    expect(decoder.push(chunk([{ index: 0, delta: { content: 'ok' } }])).raw).toBeDefined();
  });

  it('is complete once every choice finished and the asked-for usage arrived; finished already at the last finish', () => {
    const decoder = new OpenAIStreamDecoder(2);
    decoder.push(chunk([{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }]));
    expect(decoder.finished).toBe(false);
    decoder.push(chunk([{ index: 1, delta: { content: 'b' }, finish_reason: 'length' }]));
    expect(decoder.finished).toBe(true);
    expect(decoder.complete).toBe(false);
    decoder.push(chunk([], { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }));
    expect(decoder.complete).toBe(true);
  });

  it('decodes only the first choice into events when several are streamed', () => {
    const events = eventsOf(decodeAll(new OpenAIStreamDecoder(2), [
      chunk([{ index: 0, delta: { content: 'first' } }, { index: 1, delta: { content: 'second' } }]),
      chunk([{ index: 1, delta: {}, finish_reason: 'length' }]),
    ]));
    expect(events.filter((e) => e.type === 'text_delta')).toEqual([{ type: 'text_delta', index: 0, text: 'first' }]);
    expect(events.filter((e) => e.type === 'finish')).toEqual([]);
  });

  it.each([
    [{ message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' }, 'rate_limited', undefined],
    [{ message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' }, 'rate_limited', true],
    [{ message: 'The server is overloaded', type: 'server_error', code: 'overloaded' }, 'overloaded', undefined],
    [{ message: 'The server had an error while processing your request.', type: 'server_error', code: null }, 'server_error', undefined],
  ])('classifies an in-stream error object %j as %s', (error, outcome, quotaExhausted) => {
    const decoded = new OpenAIStreamDecoder(1).push(JSON.stringify({ error }));
    expect(decoded.raw).toBeUndefined();
    expect(decoded.failure).toMatchObject({ outcome, message: error.message, providerType: error.type });
    expect(decoded.failure?.quotaExhausted).toBe(quotaExhausted);
    expect(decoded.failure?.status).toBeUndefined();
  });

  it('classifies an error object it cannot read as a server error', () => {
    expect(new OpenAIStreamDecoder(1).push('{"error": "boom"}').failure).toMatchObject({ outcome: 'server_error', message: 'the provider sent an error mid-stream' });
  });
});
