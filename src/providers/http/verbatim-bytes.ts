/**
 * The upstream's own bytes for a same-format client. A passed-through SSE stream forwards each event as
 * its decoder re-framed it (`raw`: `data: …\n\n`, after an `event: …` line when the event has a name),
 * which as text must be flattened and encoded to UTF-8 again on its way to the socket, a copy a proxy that
 * pipes bytes never makes (about 3 % of a small stream's CPU, in turns). Usually that text is exactly what
 * the provider sent, byte for byte, so the bytes the read brought can be written instead.
 *
 * This watches the SSE reader frame one chunk at a time and vouches for a prefix of it: from the chunk's
 * start (when it starts on an event's boundary), every event forwarded in the canonical framing at exactly
 * the place the previous one ended. Anything else (a comment or keep-alive line, a dropped event before a
 * forwarded one, `\r\n` line ends, several `data:` lines, a field without its space, events of two chunks
 * in one batch, bytes that are not valid UTF-8) ends the vouching, and the batch is written from `raw`, as
 * before. Checking an event costs a few character comparisons, not a comparison of its text: an event's
 * text is the parser's own slice of the chunk, and the framing around it is what is checked.
 */
import { isAscii, isUtf8 } from 'node:buffer';

const LF = 10;
const DATA = 'data: ';
const EVENT = 'event: ';

export class VerbatimBytes {
  /** The chunk being framed, and its text. */
  private chunk: Buffer | undefined;
  private text = '';
  /** Where in `text` the next event must start for the vouched prefix to go on. */
  private offset = 0;
  /** The prefix can still grow: the chunk started on a boundary and every event so far was vouched for. */
  private open = false;
  /** The chunk whose prefix the current batch's events are, and where that prefix ends (in `text`). */
  private batchChunk: Buffer | undefined;
  private batchText = '';
  private batchEnd = 0;
  /** The batch has a forwarded event that cannot be vouched for: it is written from `raw`. */
  private broken = false;

  /** A chunk's text is about to be framed; `clean`: it starts on an event's boundary (nothing carried over). */
  chunkText(chunk: Buffer, text: string, clean: boolean): void {
    this.chunk = chunk;
    this.text = text;
    this.offset = 0;
    this.open = clean;
  }

  /**
   * The chunk is framed: let go of it (the batch keeps what it vouched for until `take`). An open stream
   * that waits for its next token must not pin its last chunk, nor the read buffer that chunk is a view of.
   * Events framed after it (from text held back until the body's end) are not vouched for.
   */
  chunkDone(): void {
    this.chunk = undefined;
    this.text = '';
    this.open = false;
  }

  /** An event the parser completed in the current chunk: `raw` is its forwarded frame, undefined when dropped. */
  event(data: string, name: string | undefined, raw: string | undefined): void {
    if (raw === undefined) {
      this.open = false; // its bytes are not forwarded: nothing after it continues the prefix
      return;
    }
    if (this.broken) return;
    const chunk = this.chunk; // set whenever `open` is
    const text = this.text;
    const at = this.offset;
    // Where the data line's value starts (after `event: NAME\n` when named, then `data: `), and ends.
    const dataAt = at + (name === undefined ? 0 : EVENT.length + name.length + 1) + DATA.length;
    const end = dataAt + data.length;
    const vouched =
      this.open &&
      (this.batchChunk === undefined || this.batchChunk === chunk) &&
      raw.length === end + 2 - at &&
      (name === undefined || (text.startsWith(EVENT, at) && text.startsWith(name, at + EVENT.length) && text.charCodeAt(at + EVENT.length + name.length) === LF)) &&
      text.startsWith(DATA, dataAt - DATA.length) &&
      text.charCodeAt(end) === LF &&
      text.charCodeAt(end + 1) === LF &&
      data.indexOf('\n') === -1;
    if (!vouched) {
      this.open = false;
      this.broken = true;
      return;
    }
    this.offset = end + 2;
    this.batchChunk = chunk;
    this.batchText = text;
    this.batchEnd = this.offset;
  }

  /** The bytes of the batch's forwarded events, when they are the upstream's own; starts a new batch. */
  take(): Buffer | undefined {
    const chunk = this.batchChunk;
    const broken = this.broken;
    const text = this.batchText;
    this.batchChunk = undefined;
    this.batchText = '';
    this.broken = false;
    if (chunk === undefined || broken) return undefined;
    const end = this.batchEnd;
    if (isAscii(chunk)) return end === chunk.length ? chunk : chunk.subarray(0, end);
    // Outside ASCII a character's bytes are counted; only valid UTF-8 decodes to text whose bytes these are.
    if (!isUtf8(chunk)) return undefined;
    return end === text.length ? chunk : chunk.subarray(0, Buffer.byteLength(text.slice(0, end)));
  }
}
