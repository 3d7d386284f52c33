/**
 * A protobuf writer for the few field types an OTLP span export uses, writing straight into one growing
 * buffer. A nested message is written in place: its length is a one-byte placeholder that is patched
 * when the message ends, and only a message of 128 bytes or more moves its bytes up to make room for the
 * longer varint, so nothing is built twice and no object is made per field.
 */

const INITIAL_BYTES = 16 * 1024;
const TWO_POW_32 = 4294967296;
const TWO_POW_23 = 8388608;

/** Protobuf wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Starts over, keeping the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Opens a nested message as field `field`; returns the mark `end` needs. */
  begin(field: number): number {
    this.tag(field, LENGTH_DELIMITED);
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the nested message `begin` opened at `mark`, writing its length. */
  end(mark: number): void {
    const length = this.pos - mark - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(mark + size, mark + 1, this.pos);
      this.pos += size - 1;
    }
    this.putVarint(mark, length);
  }

  string(field: number, value: string): void {
    // A string of fewer than 43 UTF-16 units is under 128 bytes however it encodes: write it behind a
    // one-byte length and patch that; only a longer one is measured first.
    if (value.length < 43) {
      const mark = this.begin(field);
      this.ensure(value.length * 3);
      this.pos = this.putString(value, this.pos);
      this.end(mark);
      return;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.tag(field, LENGTH_DELIMITED);
    this.varint(length);
    this.ensure(length);
    this.pos = this.putString(value, this.pos);
  }

  /**
   * Writes `value` as UTF-8 at `at` (there is room); returns the offset after it. Span strings are
   * nearly all ASCII (names, ids, enum-like values): copying those by hand is several times cheaper than
   * `Buffer#write`, whose argument checks and native call cost more than the copy for a short string.
   */
  private putString(value: string, at: number): number {
    const buf = this.buf;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code >= 128) return at + buf.write(value, at, 'utf8'); // start over, as UTF-8
      buf[at + i] = code;
    }
    return at + value.length;
  }

  /** `length` bytes of `source` from `start`, as a bytes field. */
  byteField(field: number, source: Uint8Array, start: number, length: number): void {
    this.tag(field, LENGTH_DELIMITED);
    this.varint(length);
    this.ensure(length);
    // Ids are 8 or 16 bytes: a loop beats making a subarray view to `set` from.
    for (let i = 0; i < length; i++) this.buf[this.pos + i] = source[start + i]!;
    this.pos += length;
  }

  /** Bytes already encoded as whole fields, copied as they are. */
  raw(encoded: Uint8Array): void {
    this.ensure(encoded.length);
    this.buf.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  /** An int64/uint64/enum field (proto3 leaves zero out: the caller decides). */
  int(field: number, value: number): void {
    this.tag(field, VARINT);
    if (value >= 0) this.varint(value);
    else this.negativeVarint(value);
  }

  bool(field: number, value: boolean): void {
    this.tag(field, VARINT);
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  double(field: number, value: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  fixed32(field: number, value: number): void {
    this.tag(field, FIXED32);
    this.ensure(4);
    this.pos = this.buf.writeUInt32LE(value, this.pos);
  }

  /**
   * A fixed64 of `seconds * 1e9 + nanos` — Unix nanoseconds, which a double cannot hold exactly. Written
   * as two 32-bit halves: `seconds * 1953125` (1e9 / 2^9) is exact below 2^53, and shifting it by 9 bits
   * splits at 2^23.
   */
  nanos(field: number, seconds: number, nanos: number): void {
    this.tag(field, FIXED64);
    this.ensure(8);
    const scaled = seconds * 1953125;
    let low = (scaled % TWO_POW_23) * 512 + nanos;
    let high = Math.floor(scaled / TWO_POW_23);
    if (low >= TWO_POW_32) {
      low -= TWO_POW_32;
      high += 1;
    }
    this.buf.writeUInt32LE(low, this.pos);
    this.pos = this.buf.writeUInt32LE(high, this.pos + 4);
  }

  private tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  /** A non-negative integer below 2^53. */
  private varint(value: number): void {
    this.ensure(8);
    this.pos = this.putVarint(this.pos, value);
  }

  /** Writes a varint at `at`, where there is room for it; returns the offset after it. */
  private putVarint(at: number, value: number): number {
    while (value >= 128) {
      this.buf[at++] = (value % 128) | 128;
      value = Math.floor(value / 128);
    }
    this.buf[at++] = value;
    return at;
  }

  /** A negative int64: its 64-bit two's complement, ten bytes. */
  private negativeVarint(value: number): void {
    let rest = BigInt.asUintN(64, BigInt(Math.trunc(value)));
    this.ensure(10);
    while (rest >= 128n) {
      this.buf[this.pos++] = Number(rest & 127n) | 128;
      rest >>= 7n;
    }
    this.buf[this.pos++] = Number(rest);
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}
