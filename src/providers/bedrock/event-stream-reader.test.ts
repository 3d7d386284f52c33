import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { StreamItem } from '../types.js';
import { bedrockStreamItems } from './bedrock-stream.js';
import { EventStreamCorrupt, EventStreamSplitter, headerText } from './event-stream-reader.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const message = (event: string, body: string): Buffer =>
  Buffer.from(codec.encode({
    headers: {
      ':event-type': { type: 'string', value: event },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(body),
  }));

const bodies = (messages: { body: Uint8Array }[]): string[] => messages.map((m) => toUtf8(m.body));

describe('EventStreamSplitter', () => {
  it('reassembles messages split anywhere and joined in one chunk', () => {
    const bytes = Buffer.concat([message('chunk', '{"a":1}'), message('chunk', '{"b":2}'), message('chunk', '{"c":3}')]);
    for (let size = 1; size <= bytes.length; size += 7) {
      const splitter = new EventStreamSplitter();
      const out: string[] = [];
      for (let at = 0; at < bytes.length; at += size) out.push(...bodies(splitter.push(bytes.subarray(at, at + size))));
      expect(out).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
      expect(splitter.pendingBytes).toBe(0);
    }
  });

  it('drops a message whose CRC does not hold and keeps reading', () => {
    const broken = message('chunk', '{"bad":1}');
    const at = broken.length - 6; // a payload byte: the message CRC no longer matches
    broken.writeUInt8(broken.readUInt8(at) ^ 0xff, at);
    const splitter = new EventStreamSplitter();
    const out = splitter.push(Buffer.concat([message('chunk', '{"a":1}'), broken, message('chunk', '{"c":3}')]));
    expect(bodies(out)).toEqual(['{"a":1}', '{"c":3}']);
    expect(splitter.malformed).toBe(1);
    expect(headerText(out[0]!, ':event-type')).toBe('chunk');
  });

  it('refuses an impossible length', () => {
    const bad = Buffer.alloc(16);
    bad.writeUInt32BE(3, 0);
    expect(() => new EventStreamSplitter().push(bad)).toThrow(EventStreamCorrupt);
  });
});

describe('a Bedrock stream read through its framing', () => {
  it('hands on the events of whole messages and fails as a cut stream on a body that ends inside a message', async () => {
    const whole = message('chunk', JSON.stringify({ bytes: Buffer.from('{"type":"ping"}').toString('base64') }));
    const items: StreamItem[] = [];
    for await (const item of bedrockStreamItems(Readable.from([Buffer.concat([whole, whole.subarray(0, 10)])]), { idleMs: 10_000, signal: new AbortController().signal })) items.push(item);
    expect(items).toEqual([
      { kind: 'data', events: [], raw: 'event: ping\ndata: {"type":"ping"}\n\n' },
      { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended inside a message (10 bytes)' } },
    ]);
  });
});
