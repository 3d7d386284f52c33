/**
 * The protobuf writer's two tricky parts, checked against plain arithmetic: nested messages whose length
 * crosses one- and two-byte varints (their bytes move up when the length is patched), and Unix
 * nanoseconds beyond a double's exact range written as a fixed64.
 */
import { describe, expect, it } from 'vitest';
import { ProtoWriter, varintSize } from './proto-writer.js';

/** Reads a length-delimited field at `at`: [field number, payload, offset after]. */
function readField(buf: Buffer, at: number): [number, Buffer, number] {
  const readVarint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = buf[at++]!;
      value += (byte & 127) * scale;
      if (byte < 128) return value;
    }
  };
  const key = readVarint();
  expect(key & 7).toBe(2);
  const length = readVarint();
  return [key >>> 3, buf.subarray(at, at + length), at + length];
}

describe('ProtoWriter', () => {
  it.each([0, 1, 127, 128, 129, 16_383, 16_384, 70_000])('nests a message of %i bytes inside another, both readable', (size) => {
    const writer = new ProtoWriter(16); // small, so that writing also grows the buffer
    const outer = writer.begin(3);
    const inner = writer.begin(7);
    const payload = Buffer.alloc(size, 0xab);
    writer.byteField(1, payload, 0, payload.length);
    writer.end(inner);
    writer.string(2, 'after');
    writer.end(outer);

    const buf = writer.bytes();
    const [outerNo, outerBody, end] = readField(buf, 0);
    expect([outerNo, end]).toEqual([3, buf.length]);
    const [innerNo, innerBody, next] = readField(outerBody, 0);
    expect(innerNo).toBe(7);
    const [payloadNo, read] = readField(innerBody, 0);
    expect(payloadNo).toBe(1);
    expect(read.equals(payload)).toBe(true);
    expect(readField(outerBody, next).slice(0, 2)).toEqual([2, Buffer.from('after')]);
    expect(innerBody.length).toBe(1 + varintSize(size) + size);
  });

  it('writes Unix nanoseconds exactly, where seconds × 1e9 is past what a double holds', () => {
    const cases: [number, number][] = [
      [0, 0],
      [1_764_881_234, 567_250_000],
      [4_294_967_295, 999_999_999], // the carry out of the low word
      [2_147_483_647, 1],
    ];
    for (let i = 0; i < 200; i++) cases.push([Math.floor(Math.random() * 2 ** 32), Math.floor(Math.random() * 1e9)]);
    for (const [seconds, nanos] of cases) {
      const writer = new ProtoWriter();
      writer.nanos(7, seconds, nanos);
      const buf = writer.bytes();
      expect(buf[0]).toBe((7 << 3) | 1);
      expect(buf.readBigUInt64LE(1)).toBe(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
    }
  });

  it('writes a negative int64 as its ten-byte two’s complement', () => {
    const writer = new ProtoWriter();
    writer.int(1, -5);
    expect([...writer.bytes()]).toEqual([0x08, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});
