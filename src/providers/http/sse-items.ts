/**
 * An upstream stream body read as the router's stream items, by one object: the body's bytes are framed
 * into events (SSE; Bedrock's AWS event-stream messages, through `readFramedItems`), each event is handed
 * to the provider's watch (its decoder) at once, and what one read of the body completed leaves as one
 * data item, then exactly one `end` or `failure`. It replaces a chain of async generators (the stream's
 * own async iterator, an event batcher, the provider's item generator): an item costs one promise here,
 * none when pulled (see pull-stream.ts), and an open stream holds this object, its framing and its watch.
 *
 * The watch decides how a stream ends: a failure event, an explicit terminator (`done`: `[DONE]`), or
 * nothing more needed (`complete`: the closing event, or every choice finished with its usage). A body
 * that ends, or breaks, after the answer `finished` ended well (only a terminator was left); before it, it
 * was cut. Once the end is decided the body is let go at once: a complete answer's rest is drained so the
 * keep-alive socket goes back to the pool; an abandoned one is destroyed, which stops the provider.
 *
 * Timing: once the first event has come, each next one must come within the idle budget (comments and
 * keep-alive pings are not progress); the wait for the first one is the router's attempt clock's, through
 * `signal`. Time spent waiting for our own consumer (a slow client) is not charged to the provider.
 */
import { createParser } from 'eventsource-parser';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { StreamEvent } from '../../core/chat-response.js';
import { DONE, RETURNED, WAIT, type Pullable } from '../../core/pull-stream.js';
import type { StreamItem, UpstreamFailure } from '../types.js';
import { DataBatch } from './data-batch.js';
import { VerbatimBytes } from './verbatim-bytes.js';
import type { StreamReadOptions } from './exchange.js';
import { classifyNetworkFailure } from './network-failure.js';
import { releaseBody, StreamWatchdog } from './stream-watchdog.js';

/** What a provider's decoder makes of one event. */
export interface WatchedEvent {
  events: StreamEvent[];
  /**
   * The event re-framed verbatim for a same-format client (`data: …\n\n`, after an `event: …` line when
   * it has a name); absent when it must not be forwarded. A frame that differs from the event as sent in
   * anything but this framing must differ in length too: where the lengths agree, the reader forwards the
   * upstream's own bytes for it (verbatim-bytes.ts).
   */
  raw?: string;
  failure?: UpstreamFailure;
  /** The provider's explicit end of stream (`[DONE]`). */
  done?: boolean;
}

/** A provider's decoder, as the reader sees it. */
export interface StreamWatch {
  push(data: string, event: string | undefined): WatchedEvent;
  /** The answer is whole: a body that ends or breaks now ended well. */
  readonly finished: boolean;
  /** Nothing more is needed from the body: the stream ends now, without waiting for the body's end. */
  readonly complete: boolean;
}

/** Hands each whole event of the body to the reader: its data, and its name when it has one. */
export type Emit = (data: string, event: string | undefined) => void;

/** How a body's bytes become events: SSE for most providers, AWS event-stream messages for Bedrock. */
export interface Framing {
  /** Frames one chunk of the body, emitting every event it completes; throws `InStreamFailure` for a failure carried by the framing itself. */
  feed(chunk: Buffer): void;
  /** The body ended: frames what is left; throws when it ended inside an event. */
  end(): void;
}

/**
 * SSE framing (eventsource-parser). UTF-8 is decoded chunk by chunk: a chunk that ends on a whole
 * character (as an SSE chunk ends, on a line break) is decoded on its own, several times cheaper than
 * through a streaming decoder; one that ends inside a character goes through a `StringDecoder`, which
 * keeps the partial bytes for the next chunk (which then goes through it too). A leading byte-order mark
 * is dropped, as the SSE spec says. `verbatim`, when given, is shown each chunk before its events (see
 * verbatim-bytes.ts), with whether it starts on an event's boundary: nothing carried over from the last
 * chunk, whose text ended with a blank line.
 */
function sseFraming(emit: Emit, verbatim?: VerbatimBytes): Framing {
  const parser = createParser({ onEvent: (event) => emit(event.data, event.event) });
  let decoder: StringDecoder | undefined;
  /** The last chunk ended on a non-ASCII byte: the decoder may hold part of a character. */
  let pending = false;
  let atStart = true;
  /** The last text fed ended on a blank line: the parser holds no part of an event. */
  let boundary = true;
  const feedText = (text: string, chunk: Buffer | undefined): void => {
    let clean = boundary && !pending;
    if (atStart && text.length > 0) {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) {
        text = text.slice(1);
        clean = false; // the text no longer starts where the bytes do
      }
    }
    if (verbatim !== undefined) {
      if (chunk !== undefined) verbatim.chunkText(chunk, text, clean);
      if (text.length > 0) boundary = text.endsWith('\n\n');
    }
    parser.feed(text);
    verbatim?.chunkDone();
  };
  return {
    feed(chunk) {
      if (chunk.length === 0) return;
      const endsWhole = chunk[chunk.length - 1]! < 0x80;
      feedText(pending || !endsWhole ? (decoder ??= new StringDecoder('utf8')).write(chunk) : chunk.toString('utf8'), chunk);
      pending = !endsWhole;
    },
    end: () => feedText(decoder?.end() ?? '', undefined),
  };
}

export function readSseItems(body: Readable, options: StreamReadOptions, watch: StreamWatch): AsyncGenerator<StreamItem, void, undefined> {
  const verbatim = new VerbatimBytes();
  return new UpstreamItems(body, options, watch, (emit) => sseFraming(emit, verbatim), verbatim);
}

/** The same reader over another framing (Bedrock's event stream). */
export function readFramedItems(body: Readable, options: StreamReadOptions, watch: StreamWatch, framing: (emit: Emit) => Framing): AsyncGenerator<StreamItem, void, undefined> {
  return new UpstreamItems(body, options, watch, framing);
}

const END: StreamItem = { kind: 'end' };

function cut(message: string): StreamItem {
  return { kind: 'failure', failure: { outcome: 'stream_cut', message } };
}

/** A body that closed with neither an end nor an error (what a stream's async iterator reports too). */
function prematureClose(): Error {
  return Object.assign(new Error('the response body closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

class UpstreamItems implements AsyncGenerator<StreamItem, void, undefined>, Pullable<StreamItem> {
  private readonly framing: Framing;
  private readonly watchdog: StreamWatchdog;
  private readonly batch = new DataBatch();
  /** The stream's last item, once decided; the body is then no longer read. */
  private last: StreamItem | undefined;
  /** Items decided but not yet taken: a data item, then the last one. */
  private ready: StreamItem[] = [];
  private eventsSeen = 0;
  private bodyEnded = false;
  private bodyError: unknown;
  private released = false;
  /** The `next` waiting for an item, if any. */
  private wake: (() => void) | undefined;
  /** The puller's callback (see pull-stream.ts), called at every change. */
  private onWake: (() => void) | undefined;
  private readonly onReadable = (): void => this.signal();
  private readonly onEnd = (): void => {
    this.bodyEnded = true;
    this.signal();
  };
  private readonly onError = (err: unknown): void => {
    this.bodyError ??= err;
    this.signal();
  };
  private readonly onClose = (): void => {
    if (!this.bodyEnded) this.bodyError ??= prematureClose();
    this.signal();
  };

  constructor(
    private readonly body: Readable,
    private readonly options: StreamReadOptions,
    private readonly watch: StreamWatch,
    framing: (emit: Emit) => Framing,
    /** Vouches for the upstream's bytes of each batch, when the framing is SSE. */
    private readonly verbatim?: VerbatimBytes,
  ) {
    this.framing = framing((data, event) => this.onEvent(data, event));
    this.watchdog = new StreamWatchdog(body, options.idleMs);
    body.on('readable', this.onReadable);
    body.on('end', this.onEnd);
    body.on('error', this.onError);
    body.on('close', this.onClose);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  readonly pullable = true;

  pull(): StreamItem | typeof WAIT | undefined {
    this.watchdog.consumerBusy(false);
    let item = this.ready.shift();
    if (item === undefined) {
      if (this.last !== undefined || this.released) return undefined;
      this.read();
      item = this.ready.shift();
      if (item === undefined) return WAIT;
    }
    this.watchdog.consumerBusy(true);
    return item;
  }

  onReady(wake: (() => void) | undefined): void {
    this.onWake = wake;
  }

  async next(): Promise<IteratorResult<StreamItem, void>> {
    for (;;) {
      const item = this.pull();
      if (item === undefined) return DONE;
      if (item !== WAIT) return { done: false, value: item };
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  return(): Promise<IteratorResult<StreamItem, void>> {
    this.ready = [];
    this.release();
    this.signal(); // a `next` still waiting returns done
    return RETURNED;
  }

  async throw(err: unknown): Promise<IteratorResult<StreamItem, void>> {
    await this.return();
    throw err;
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    this.onWake?.();
  }

  /** Reads what the body holds; the items it completes (and the stream's end, if decided) become ready. */
  private read(): void {
    if (this.bodyError !== undefined) {
      this.conclude(this.watch.finished ? END : { kind: 'failure', failure: classifyNetworkFailure(this.bodyError, this.options.signal, 'body') });
    } else {
      const seen = this.eventsSeen;
      try {
        for (let chunk: Buffer | null; this.last === undefined && (chunk = this.body.read() as Buffer | null) !== null; ) this.framing.feed(chunk);
        if (this.last === undefined && this.bodyEnded) {
          this.framing.end();
          if (this.last === undefined) this.conclude(this.watch.finished ? END : cut('the stream ended before the answer finished'));
        }
      } catch (err) {
        // A failure the framing carries (`InStreamFailure`: Bedrock's exception messages, a broken frame).
        if (this.last === undefined) this.conclude({ kind: 'failure', failure: classifyNetworkFailure(err, this.options.signal, 'body') });
      }
      // Not once the end is decided: the watchdog is stopped then, and a timer armed now would hold the
      // stream (and the process) for the idle budget.
      if (this.eventsSeen !== seen && !this.released) this.watchdog.eventsArrived();
    }
    const data = this.batch.take(this.verbatim?.take());
    if (data !== undefined) this.ready.push(data);
    if (this.last !== undefined) this.ready.push(this.last);
  }

  private onEvent(data: string, event: string | undefined): void {
    if (this.last !== undefined) return; // the rest of a read after the end was decided
    this.eventsSeen += 1;
    const watch = this.watch;
    const decoded = watch.push(data, event);
    this.verbatim?.event(data, event, decoded.raw);
    // An event that is not forwarded still tells the router what it carries (a usage Keel asked for itself).
    if (decoded.raw !== undefined) this.batch.add(decoded.events, decoded.raw);
    else if (decoded.events.length > 0) this.batch.add(decoded.events, '');
    if (decoded.failure !== undefined) this.conclude({ kind: 'failure', failure: decoded.failure });
    else if (decoded.done === true) this.conclude(watch.finished ? END : cut('the provider ended the stream before the answer finished'));
    else if (watch.complete) this.conclude(END);
  }

  private conclude(last: StreamItem): void {
    this.last = last;
    this.release();
  }

  /** Stops reading: listeners off, timer off, the body drained (a complete answer) or destroyed. */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.watchdog.stop();
    const body = this.body;
    body.off('readable', this.onReadable);
    body.off('end', this.onEnd);
    body.off('error', this.onError);
    body.off('close', this.onClose);
    releaseBody(body, this.watch.finished);
  }
}
