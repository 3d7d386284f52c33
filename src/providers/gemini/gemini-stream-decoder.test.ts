/**
 * The Gemini stream, from bytes to items: recorded `alt=sse` streams (CRLF-framed, as Google sends them)
 * are fed through a real Readable in pieces cut at arbitrary byte positions, so the SSE reader, decoder
 * and end-of-stream judgement are tested together, as the provider runs them.
 */
import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../core/chat-response.js';
import type { StreamItem } from '../types.js';
import { readSseItems } from '../http/sse-items.js';
import { GeminiStreamDecoder } from './gemini-stream-decoder.js';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const DEPLOYMENT = { id: 'gemini-direct', model: 'gemini-2.5-flash' };
const OPTIONS = { idleMs: 30_000, signal: new AbortController().signal };

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

async function collect(body: Readable, decoder = new GeminiStreamDecoder(DEPLOYMENT)): Promise<StreamItem[]> {
  const items: StreamItem[] = [];
  for await (const item of readSseItems(body, OPTIONS, decoder)) items.push(item);
  return items;
}

const events = (items: StreamItem[]): StreamEvent[] => items.flatMap((i) => (i.kind === 'data' ? i.events : []));
const text = (items: StreamItem[], type: 'text_delta' | 'thinking_delta' = 'text_delta'): string =>
  events(items).map((e) => (e.type === type ? e.text : '')).join('');
const last = (items: StreamItem[]): StreamItem => items.at(-1)!;
/** The recorded chunks, one per element (the fixture frames them with CRLF CRLF). */
const chunks = (recorded: string): string[] => recorded.split('\r\n\r\n').filter((c) => c !== '').map((c) => `${c}\r\n\r\n`);

describe('Gemini stream decoding', () => {
  it('decodes a recorded stream with thoughts the same, however the bytes are split', async () => {
    const recorded = fixture('text-thinking-stream.sse');
    for (let seed = 1; seed <= 25; seed += 1) {
      const items = await collect(piecewise(recorded, seed));
      expect(text(items), `seed ${seed}`).toBe('Grüße aus Zürich — café ☕ 東京');
      expect(text(items, 'thinking_delta'), `seed ${seed}`).toBe('**Weighing the question** I considered the options.');
      expect(last(items), `seed ${seed}`).toEqual({ kind: 'end' });
      expect(items.filter((i) => i.kind === 'end' || i.kind === 'failure')).toHaveLength(1);
    }
  });

  it('numbers blocks by first appearance, reports the prompt count at once, and finish and usage once at the end', async () => {
    const all = events(await collect(piecewise(fixture('text-thinking-stream.sse'), 7)));
    expect(all[0]).toMatchObject({ type: 'start', id: 'Yk4faN3eJ5m-1e8PpsDk0Ak', model: 'gemini-2.5-flash' });
    expect(new Set(all.filter((e) => e.type === 'thinking_delta').map((e) => (e as { index: number }).index))).toEqual(new Set([0]));
    expect(new Set(all.filter((e) => e.type === 'text_delta').map((e) => (e as { index: number }).index))).toEqual(new Set([1]));
    expect(all.filter((e) => e.type === 'finish')).toEqual([{ type: 'finish', finishReason: 'stop' }]);
    expect(all.filter((e) => e.type === 'usage')).toEqual([
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 0 } },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 11 + 41, cachedInputTokens: 4, reasoningTokens: 41 } },
    ]);
    // The early count comes before any content, so a stream's opening event can carry it.
    expect(all.findIndex((e) => e.type === 'usage')).toBeLessThan(all.findIndex((e) => e.type === 'thinking_delta'));
  });

  it('turns each function call into a tool-call start and its whole arguments, and ends as tool_calls', async () => {
    const all = events(await collect(piecewise(fixture('function-call-stream.sse'), 4, 12)));
    const starts = all.filter((e) => e.type === 'tool_call_start') as { index: number; id: string; name: string }[];
    expect(starts.map((s) => [s.index, s.name])).toEqual([[0, 'get_weather'], [1, 'get_time']]);
    expect(new Set(starts.map((s) => s.id)).size).toBe(2);
    expect(all.filter((e) => e.type === 'tool_call_delta')).toEqual([
      { type: 'tool_call_delta', index: 0, argumentsDelta: '{"location":"Paris","unit":"celsius"}' },
      { type: 'tool_call_delta', index: 1, argumentsDelta: '{"zone":"Europe/Paris"}' },
    ]);
    expect(all).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('is a stream_cut when the body ends before any finish reason', async () => {
    const parts = chunks(fixture('text-thinking-stream.sse'));
    const items = await collect(piecewise(parts.slice(0, -1).join(''), 3));
    expect(text(items)).toBe('Grüße aus Zürich — café ☕ 東京');
    expect(last(items)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
  });

  it('ends well when the connection breaks after the finish reason', async () => {
    const body = new PassThrough();
    body.write(fixture('text-thinking-stream.sse'));
    const items: StreamItem[] = [];
    for await (const item of readSseItems(body, OPTIONS, new GeminiStreamDecoder(DEPLOYMENT))) {
      items.push(item);
      // The answer is whole; now the socket breaks instead of ending cleanly.
      if (item.kind === 'data' && item.events.some((e) => e.type === 'finish')) body.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    }
    expect(last(items)).toEqual({ kind: 'end' });
  });

  it('fails when the connection breaks before the finish reason', async () => {
    const body = new PassThrough();
    body.write(chunks(fixture('text-thinking-stream.sse')).slice(0, 3).join(''));
    const items: StreamItem[] = [];
    for await (const item of readSseItems(body, OPTIONS, new GeminiStreamDecoder(DEPLOYMENT))) {
      items.push(item);
      if (item.kind === 'data' && item.events.some((e) => e.type === 'text_delta')) body.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    }
    expect(last(items)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
  });

  it('drops and counts a malformed chunk, and carries on', async () => {
    const parts = chunks(fixture('text-thinking-stream.sse'));
    const decoder = new GeminiStreamDecoder(DEPLOYMENT);
    const broken = ['data: {"candidates": [\r\n\r\n', 'data: {"candidates": "nope"}\r\n\r\n'];
    const items = await collect(piecewise([...parts.slice(0, 3), ...broken, ...parts.slice(3)].join(''), 9), decoder);
    expect(decoder.malformedEvents).toBe(2);
    expect(items.map((i) => (i.kind === 'data' ? i.raw : '')).join('')).not.toContain('"nope"');
    expect(text(items)).toBe('Grüße aus Zürich — café ☕ 東京');
    expect(last(items)).toEqual({ kind: 'end' });
  });

  it('turns an error chunk into a classified failure', async () => {
    const parts = chunks(fixture('text-thinking-stream.sse'));
    const error = 'data: {"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}\r\n\r\n';
    const items = await collect(piecewise([...parts.slice(0, 3), error].join(''), 2));
    expect(last(items)).toEqual({
      kind: 'failure',
      failure: { outcome: 'overloaded', message: 'The model is overloaded. Please try again later.', providerType: 'UNAVAILABLE', providerCode: '503' },
    });
  });

  it('is a content_filter failure when the first chunk is a block', async () => {
    const blockedPrompt = 'data: {"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":7}}\r\n\r\n';
    expect(last(await collect(piecewise(blockedPrompt, 1)))).toMatchObject({ kind: 'failure', failure: { outcome: 'content_filter', status: 400, providerType: 'SAFETY' } });
    const blockedAnswer = 'data: {"candidates":[{"finishReason":"PROHIBITED_CONTENT","index":0}]}\r\n\r\n';
    expect(last(await collect(piecewise(blockedAnswer, 1)))).toMatchObject({ kind: 'failure', failure: { outcome: 'content_filter', providerType: 'PROHIBITED_CONTENT' } });
  });

  it('finishes as content_filter, keeping what came, when a filter stops the answer part-way', async () => {
    const parts = chunks(fixture('text-thinking-stream.sse'));
    const stopped = 'data: {"candidates":[{"finishReason":"SAFETY","index":0}]}\r\n\r\n';
    const items = await collect(piecewise([...parts.slice(0, 3), stopped].join(''), 6));
    expect(text(items)).toBe('Grüße aus Zürich — ');
    expect(events(items)).toContainEqual({ type: 'finish', finishReason: 'content_filter' });
    expect(last(items)).toEqual({ kind: 'end' });
  });
});
