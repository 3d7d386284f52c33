import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StreamItem } from '../types.js';
import { readSseItems, type StreamWatch, type WatchedEvent } from './sse-items.js';

/**
 * A decoder that forwards every event in the canonical framing (an `event:` line when it has a name),
 * except `DROP` (not forwarded) and `[DONE]` (the terminator); `fin` completes the answer. `frame`
 * replaces the framing, to play a decoder whose frame is not the event as sent.
 */
class Watch implements StreamWatch {
  finished = false;
  complete = false;
  constructor(private readonly frame?: (data: string, event: string | undefined) => string) {}

  push(data: string, event: string | undefined): WatchedEvent {
    if (data === '[DONE]') return { events: [], done: true };
    if (data === 'DROP') return { events: [] };
    if (data === 'fin') this.finished = this.complete = true;
    const raw = this.frame?.(data, event) ?? `${event === undefined ? '' : `event: ${event}\n`}data: ${data}\n\n`;
    return { events: [{ type: 'text_delta', index: 0, text: data }], raw };
  }
}

type Data = Extract<StreamItem, { kind: 'data' }>;

const AFTER_IMMEDIATE = Symbol('after an immediate');
const immediate = (): Promise<typeof AFTER_IMMEDIATE> => new Promise((resolve) => setImmediate(() => resolve(AFTER_IMMEDIATE)));

/** Writes each chunk once the reader has read the one before (each read is one chunk); the data items, in order. */
async function dataItems(chunks: Buffer[], watch: StreamWatch = new Watch()): Promise<Data[]> {
  const body = new PassThrough();
  const items = readSseItems(body, { idleMs: 10_000, signal: new AbortController().signal }, watch);
  const out: Data[] = [];
  let next = items.next(); // a reader waiting for data reads each chunk as it comes
  for (const chunk of chunks) {
    body.write(chunk);
    while (body.readableLength > 0) await immediate();
    // An item the chunk completed is ready before the next immediate; a chunk may complete none.
    const ready = await Promise.race([next, immediate()]);
    if (ready === AFTER_IMMEDIATE) continue;
    if (ready.done !== true && ready.value.kind === 'data') out.push(ready.value);
    next = items.next();
  }
  body.end();
  const last = await next;
  if (last.done !== true && last.value.kind === 'data') out.push(last.value);
  for await (const item of items) if (item.kind === 'data') out.push(item);
  return out;
}

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('the upstream bytes of a passed-through stream', () => {
  it('are the chunk itself when every event in it is forwarded as sent', async () => {
    const chunk = bytes('data: {"a":1}\n\ndata: {"b":2}\n\n');
    const [item] = await dataItems([chunk, bytes('data: fin\n\n')]);
    expect(item!.bytes).toBe(chunk);
    expect(item!.raw).toBe(chunk.toString());
  });

  it('stop where an event is not forwarded: the terminator after the answer stays out', async () => {
    const [item] = await dataItems([bytes('data: x\n\ndata: fin\n\ndata: [DONE]\n\n')]);
    expect(item!.bytes?.toString()).toBe('data: x\n\ndata: fin\n\n');
    expect(item!.raw).toBe('data: x\n\ndata: fin\n\n');
  });

  it('count bytes, not characters, outside ASCII', async () => {
    const [item] = await dataItems([bytes('data: héllo ✓ 🙂\n\ndata: fin\n\ndata: [DONE]\n\n')]);
    expect(item!.bytes?.toString()).toBe('data: héllo ✓ 🙂\n\ndata: fin\n\n');
  });

  it('carry named events with their event line', async () => {
    const chunk = bytes('event: delta\ndata: {"t":"a"}\n\nevent: stop\ndata: fin\n\n');
    const [item] = await dataItems([chunk]);
    expect(item!.bytes).toBe(chunk);
  });

  it('are not vouched for when the frame is not the event as sent', async () => {
    const cases: Array<[string, string]> = [
      [': keep-alive\n\ndata: a\n\ndata: fin\n\n', 'a comment line before the events'],
      ['data: a\r\n\r\ndata: fin\r\n\r\n', 'CRLF line ends'],
      ['data:a\n\ndata:fin\n\n', 'a field without its space'],
      ['data: a\ndata: b\n\ndata: fin\n\n', 'an event of two data lines'],
      ['id: 7\ndata: a\n\ndata: fin\n\n', 'an id line'],
      ['data: DROP\n\ndata: a\n\ndata: fin\n\n', 'a dropped event before a forwarded one'],
      ['data: a\n\n\ndata: fin\n\n', 'an extra blank line'],
    ];
    for (const [text, what] of cases) {
      const items = await dataItems([bytes(text)]);
      expect(items.map((i) => i.bytes), what).toEqual(items.map(() => undefined));
      expect(items.map((i) => i.raw).join(''), what).toMatch(/data: fin\n\n$/);
    }
  });

  it('are not vouched for when the decoder frames an event otherwise, even where only the length tells', async () => {
    const named = await dataItems([bytes('data: a\n\ndata: fin\n\n')], new Watch((data) => `event: x\ndata: ${data}\n\n`));
    expect(named[0]!.bytes).toBeUndefined();
    expect(named[0]!.raw).toBe('event: x\ndata: a\n\nevent: x\ndata: fin\n\n');
  });

  it('are not vouched for across a chunk boundary inside an event, and again once the chunks realign', async () => {
    const items = await dataItems([bytes('data: a\n\ndata: b'), bytes('c\n\ndata: d\n\n'), bytes('data: e\n\n'), bytes('data: fin\n\n')]);
    expect(items.map((i) => i.raw)).toEqual(['data: a\n\n', 'data: bc\n\ndata: d\n\n', 'data: e\n\n', 'data: fin\n\n']);
    expect(items.map((i) => i.bytes?.toString())).toEqual(['data: a\n\n', undefined, 'data: e\n\n', 'data: fin\n\n']);
  });

  it('are not vouched for when the bytes are not valid UTF-8 (the text holds a replacement character)', async () => {
    const chunk = Buffer.concat([bytes('data: a'), Buffer.from([0xff]), bytes('b\n\ndata: fin\n\n')]);
    const [item] = await dataItems([chunk]);
    expect(item!.bytes).toBeUndefined();
    expect(item!.raw).toBe('data: a\ufffdb\n\ndata: fin\n\n');
  });

  it('are not vouched for in a first chunk that opens with a byte-order mark', async () => {
    const items = await dataItems([bytes('\ufeffdata: a\n\n'), bytes('data: fin\n\n')]);
    expect(items.map((i) => i.bytes?.toString())).toEqual([undefined, 'data: fin\n\n']);
  });

  it('are not vouched for after a character split between two chunks, until a chunk starts clean', async () => {
    const check = bytes('✓');
    const items = await dataItems([Buffer.concat([bytes('data: '), check.subarray(0, 1)]), Buffer.concat([check.subarray(1), bytes('\n\n')]), bytes('data: fin\n\n')]);
    expect(items.map((i) => i.raw)).toEqual(['data: ✓\n\n', 'data: fin\n\n']);
    expect(items.map((i) => i.bytes?.toString())).toEqual([undefined, 'data: fin\n\n']);
  });
});
