/**
 * The Anthropic stream, from bytes to items: recorded streams are fed through a real Readable in pieces
 * cut at arbitrary byte positions (inside events, inside multi-byte characters), so the SSE reader,
 * decoder and end-of-stream judgement are tested together, as the provider runs them.
 */
import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../core/chat-response.js';
import type { StreamItem } from '../types.js';
import { anthropicStreamItems } from './anthropic-provider.js';
import { AnthropicStreamDecoder } from './anthropic-stream-decoder.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

/** A small seeded PRNG, so a failing split can be reproduced from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function piecewise(text: string, seed: number, maxPiece = 48): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const random = prng(seed);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxPiece);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return Readable.from(pieces);
}

const OPTIONS = { idleMs: 30_000, signal: new AbortController().signal };

async function collect(body: Readable, decoder = new AnthropicStreamDecoder()): Promise<StreamItem[]> {
  const items: StreamItem[] = [];
  for await (const item of anthropicStreamItems(body, OPTIONS, decoder)) items.push(item);
  return items;
}

const events = (items: StreamItem[]): StreamEvent[] => items.flatMap((i) => (i.kind === 'data' ? i.events : []));
const text = (items: StreamItem[], type: 'text_delta' | 'thinking_delta' = 'text_delta'): string =>
  events(items).map((e) => (e.type === type ? e.text : '')).join('');
const rawOf = (items: StreamItem[]): string => items.map((i) => (i.kind === 'data' ? i.raw ?? '' : '')).join('');
const last = (items: StreamItem[]): StreamItem => items.at(-1)!;

/** The recorded stream up to (not including) the event of the given type. */
function cutBefore(stream: string, type: string): string {
  return stream.slice(0, stream.indexOf(`event: ${type}\n`));
}

describe('Anthropic stream decoding', () => {
  it('decodes a recorded text stream the same, however the bytes are split', async () => {
    const recorded = fixture('text-stream.sse');
    for (let seed = 1; seed <= 25; seed += 1) {
      const items = await collect(piecewise(recorded, seed));
      expect(text(items), `seed ${seed}`).toBe('Bonjour, ça va très bien — merci 🙂 日本語も');
      expect(last(items), `seed ${seed}`).toEqual({ kind: 'end' });
      expect(items.filter((i) => i.kind === 'end' || i.kind === 'failure')).toHaveLength(1);
      // Every event up to the stop reason is forwarded verbatim, ping included; the terminator is the
      // client surface's to write.
      expect(rawOf(items), `seed ${seed}`).toBe(cutBefore(recorded, 'message_stop'));
    }
  });

  it('reports start, finish and usage merged from message_start and message_delta', async () => {
    const items = await collect(piecewise(fixture('text-stream.sse'), 99));
    const all = events(items);
    expect(all[0]).toMatchObject({ type: 'start', id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-sonnet-4-5-20250929' });
    expect(all).toContainEqual({ type: 'finish', finishReason: 'stop' });
    expect(all.filter((e) => e.type === 'usage')).toEqual([
      { type: 'usage', usage: { inputTokens: 12 + 1500 + 2048, outputTokens: 17, cachedInputTokens: 2048, cacheWriteTokens: 1500 } },
    ]);
    expect(new Set(all.filter((e) => e.type === 'text_delta').map((e) => (e as { index: number }).index))).toEqual(new Set([0]));
  });

  it('decodes thinking with its signature, text, and a tool call streamed as partial JSON', async () => {
    for (const seed of [3, 17, 42]) {
      const items = await collect(piecewise(fixture('thinking-tool-stream.sse'), seed, 16));
      const all = events(items);
      expect(text(items, 'thinking_delta')).toBe('The user wants the weather in Paris. I should call get_weather.');
      expect(all).toContainEqual({ type: 'thinking_signature', index: 0, signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' });
      expect(all.filter((e) => e.type === 'text_delta')).toEqual([{ type: 'text_delta', index: 1, text: 'Let me check the weather.' }]);
      expect(all).toContainEqual({ type: 'tool_call_start', index: 2, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather' });
      const args = all.map((e) => (e.type === 'tool_call_delta' && e.index === 2 ? e.argumentsDelta : '')).join('');
      expect(JSON.parse(args)).toEqual({ location: 'Paris, France', unit: 'celsius' });
      expect(all).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
      expect(last(items)).toEqual({ kind: 'end' });
    }
  });

  it('turns an in-stream error event into a classified failure, after the content before it', async () => {
    const items = await collect(piecewise(fixture('overloaded-mid-stream.sse'), 5));
    expect(text(items)).toBe('Once upon');
    expect(last(items)).toEqual({ kind: 'failure', failure: { outcome: 'overloaded', message: 'Overloaded', providerType: 'overloaded_error' } });
  });

  it('drops and counts a malformed event without forwarding it, and carries on', async () => {
    const recorded = fixture('text-stream.sse');
    const broken = 'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n';
    const wrongShape = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":7}}\n\n';
    const at = recorded.indexOf('event: content_block_stop');
    const decoder = new AnthropicStreamDecoder();
    const items = await collect(piecewise(recorded.slice(0, at) + broken + wrongShape + recorded.slice(at), 8), decoder);
    expect(decoder.malformedEvents).toBe(2);
    expect(rawOf(items)).not.toContain('"delta": {\n');
    expect(rawOf(items)).not.toContain('"text":7');
    expect(text(items)).toBe('Bonjour, ça va très bien — merci 🙂 日本語も');
    expect(last(items)).toEqual({ kind: 'end' });
  });

  it('forwards unknown event types and delta kinds untouched, decoding nothing from them', async () => {
    const recorded = fixture('text-stream.sse');
    const future = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"cited_text":"x"}}}\n\n'
      + 'event: mystery\ndata: {"type":"mystery","payload":1}\n\n';
    const at = recorded.indexOf('event: content_block_stop');
    const items = await collect(piecewise(recorded.slice(0, at) + future + recorded.slice(at), 11));
    expect(rawOf(items)).toContain(future);
    expect(text(items)).toBe('Bonjour, ça va très bien — merci 🙂 日本語も');
  });

  it('ends well when the body ends after message_delta without message_stop', async () => {
    const items = await collect(piecewise(cutBefore(fixture('text-stream.sse'), 'message_stop'), 13));
    expect(last(items)).toEqual({ kind: 'end' });
  });

  it('ends at the stop reason without waiting for the rest of the body', async () => {
    const body = new PassThrough();
    body.write(cutBefore(fixture('text-stream.sse'), 'message_stop'));
    // The body stays open: were the reader waiting for message_stop or the end, this would hang until the
    // 30 s idle timeout and fail the test's own timeout instead.
    const items: StreamItem[] = [];
    for await (const item of anthropicStreamItems(body, OPTIONS)) items.push(item);
    expect(last(items)).toEqual({ kind: 'end' });
    body.destroy();
  });

  it('is a stream_cut when the body ends before the stop reason', async () => {
    const recorded = fixture('thinking-tool-stream.sse');
    for (const cut of ['message_delta', 'content_block_stop', 'content_block_start']) {
      const items = await collect(piecewise(cutBefore(recorded, cut), 21));
      expect(last(items), cut).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
    }
    // Cut inside an event: the half event never parses, and the stream is still cut.
    const half = recorded.slice(0, recorded.indexOf('event: message_delta') + 40);
    expect(last(await collect(piecewise(half, 22)))).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
  });

  it('is a timeout when the provider goes silent mid-answer', async () => {
    const body = new PassThrough();
    body.write(cutBefore(fixture('text-stream.sse'), 'content_block_stop'));
    const items: StreamItem[] = [];
    for await (const item of anthropicStreamItems(body, { ...OPTIONS, idleMs: 50 })) items.push(item);
    expect(last(items)).toMatchObject({ kind: 'failure', failure: { outcome: 'timeout' } });
  });

  it('closes an argument-less tool call with {} and starts text blocks only at their first text', () => {
    const decoder = new AnthropicStreamDecoder();
    const push = (data: object) => decoder.push(JSON.stringify(data)).events;
    push({ type: 'message_start', message: { id: 'm', model: 'c', usage: { input_tokens: 1 } } });
    expect(push({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })).toEqual([]);
    expect(push({ type: 'content_block_stop', index: 0 })).toEqual([]);
    expect(push({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_9', name: 'now', input: {} } }))
      .toEqual([{ type: 'tool_call_start', index: 0, id: 'toolu_9', name: 'now' }]);
    expect(push({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } })).toEqual([]);
    expect(push({ type: 'content_block_stop', index: 1 })).toEqual([{ type: 'tool_call_delta', index: 0, argumentsDelta: '{}' }]);
    expect(push({ type: 'message_delta', delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' }, usage: { output_tokens: 3 } })).toEqual([
      { type: 'finish', finishReason: 'stop', stopSequence: 'END' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 3 } },
    ]);
    expect(decoder.finished).toBe(true);
  });
});
