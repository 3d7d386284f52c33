/**
 * Reads an AWS event stream (`application/vnd.amazon.eventstream`) from an upstream body: binary
 * messages, each a 4-byte total length, a 4-byte headers length, a prelude CRC, headers, payload and a
 * message CRC. Chunks from the socket split and join messages anywhere, so bytes are gathered until a
 * whole message is in, then handed to AWS's own codec (`@smithy/eventstream-codec`), which checks both
 * CRCs and parses the typed headers. A message that fails its checks is dropped and counted, as a
 * malformed SSE event is; framing that cannot be followed (an impossible length, a body ending inside a
 * message) is a broken stream (`EventStreamCorrupt`), never a guess. The body is read, and timed, by the
 * same reader as SSE bodies (`readFramedItems`); Bedrock's provider gives it this framing.
 */
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const PRELUDE_BYTES = 12; // total length, headers length, prelude CRC
const MIN_MESSAGE_BYTES = 16; // prelude + message CRC
// Bedrock chunks are a few KB; a length past this is a corrupt prelude, not a message to wait for.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024; // 16 MiB

export class EventStreamCorrupt extends Error {
  override readonly name = 'EventStreamCorrupt';
}

/** Splits a byte stream into whole event-stream messages; `push` returns every message completed. */
export class EventStreamSplitter {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);
  private buffer: Buffer = Buffer.alloc(0);
  /** Whole messages dropped because a checksum or a header did not hold. */
  malformed = 0;

  push(chunk: Buffer): Message[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: Message[] = [];
    while (this.buffer.length >= PRELUDE_BYTES) {
      const total = this.buffer.readUInt32BE(0);
      if (total < MIN_MESSAGE_BYTES || total > MAX_MESSAGE_BYTES) throw new EventStreamCorrupt(`event-stream message length ${total} is impossible`);
      if (this.buffer.length < total) break;
      const bytes = this.buffer.subarray(0, total);
      this.buffer = this.buffer.subarray(total);
      try {
        messages.push(this.codec.decode(bytes));
      } catch {
        this.malformed += 1;
      }
    }
    return messages;
  }

  /** Bytes of a message that never finished arriving. */
  get pendingBytes(): number {
    return this.buffer.length;
  }
}

/** A header's value as text (event-stream headers are typed; the ones read here are strings). */
export function headerText(message: Message, name: string): string | undefined {
  const header = message.headers[name];
  return header?.type === 'string' ? header.value : undefined;
}
