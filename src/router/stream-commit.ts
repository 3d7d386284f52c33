/**
 * Streams and failover. A stream is committed to the client only when it shows something (content, a
 * tool call, a finish): before that, a failure is handed back to the router, which fails over and the
 * client never knows. After that, `observeEnd` reports exactly once how the stream ended, so the attempt
 * is recorded (and the breaker told) with its real outcome, even when the client walks away.
 */
import type { ChatResponse, Usage } from '../core/chat-response.js';
import { StreamAccumulator } from '../core/stream-accumulator.js';
import type { Clock } from '../core/clock.js';
import type { StreamItem, UpstreamFailure } from '../providers/index.js';
import { closeSoon, DONE, isPullable, pullerOf, RETURNED, WAIT, type Pullable } from '../core/pull-stream.js';

/**
 * A committed stream: `head`, the items read until it showed something, then `rest`, the upstream from
 * there. Kept apart (not re-joined by a replaying generator) so each item passes one layer fewer.
 */
export interface CommittedStream {
  head: StreamItem[];
  rest: AsyncGenerator<StreamItem, void, undefined>;
}

export type StreamCommit = ({ kind: 'stream' } & CommittedStream) | { kind: 'failure'; failure: UpstreamFailure };

/** Items that show the client something: once one is sent, failover is no longer invisible. */
function showsContent(item: StreamItem): boolean {
  return item.kind === 'end' || (item.kind === 'data' && item.events.some((e) => e.type !== 'start' && e.type !== 'usage'));
}

export async function commitStream(items: AsyncGenerator<StreamItem, void, undefined>): Promise<StreamCommit> {
  const head: StreamItem[] = [];
  // Pulled when it can be: the first events are usually there already, and then no promise is made for them.
  const puller = isPullable<StreamItem>(items) ? items : undefined;
  for (;;) {
    const read = puller === undefined ? nextItem(items) : pulledItem(puller);
    const item = read instanceof Promise ? await read : read;
    if (item === undefined) return { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended without an answer' } };
    if (item.kind === 'failure') {
      await items.return(undefined);
      return { kind: 'failure', failure: item.failure };
    }
    head.push(item);
    if (showsContent(item)) break;
  }
  return { kind: 'stream', head, rest: items };
}

async function nextItem(items: AsyncGenerator<StreamItem, void, undefined>): Promise<StreamItem | undefined> {
  const next = await items.next();
  return next.done === true ? undefined : next.value;
}

/** The next item, at once when one is ready (no promise), else once the stream says one may be. */
function pulledItem(items: Pullable<StreamItem>): StreamItem | undefined | Promise<StreamItem | undefined> {
  const item = items.pull();
  if (item !== WAIT) return item;
  return new Promise<void>((resolve) => items.onReady(resolve)).then(() => {
    items.onReady(undefined);
    return pulledItem(items);
  });
}

/**
 * Reads a committed stream to its end and folds it into the complete answer a JSON client gets; a stream
 * that fails or ends unfinished is the attempt's failure (the client has seen nothing yet).
 */
export async function assembleAnswer(
  stream: CommittedStream,
  gaps?: GapWatch,
): Promise<{ kind: 'json'; response: ChatResponse } | { kind: 'failure'; failure: UpstreamFailure }> {
  const accumulator = new StreamAccumulator();
  const markData = gapMeter(gaps);
  try {
    for await (const item of itemsOf(stream)) {
      if (item.kind === 'data') {
        for (const event of item.events) accumulator.push(event);
        markData();
      } else if (item.kind === 'failure') {
        return { kind: 'failure', failure: item.failure };
      } else if (item.kind === 'end') {
        const response = accumulator.result();
        if (response !== undefined) return { kind: 'json', response };
        break;
      }
    }
  } finally {
    await stream.rest.return(undefined);
  }
  return { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended before the answer finished' } };
}

/** The head, then the rest: for readers that are not on every stream's path. */
async function* itemsOf(stream: CommittedStream): AsyncGenerator<StreamItem, void, undefined> {
  yield* stream.head;
  yield* stream.rest;
}

/** Reports the silence before each data item after the first (the stream's pace, for its norm). */
export interface GapWatch {
  clock: Clock;
  onGap(gapMs: number): void;
}

/** A function to call at each data item: it reports the silence since the previous one. */
function gapMeter(gaps: GapWatch | undefined): () => void {
  if (gaps === undefined) return () => undefined;
  let lastAtMs: number | undefined;
  return () => {
    const nowMs = gaps.clock.now();
    if (lastAtMs !== undefined) gaps.onGap(nowMs - lastAtMs);
    lastAtMs = nowMs;
  };
}

/**
 * How a committed stream ended (undefined = success), its usage when the provider sent it, and how many
 * characters of output (text, thinking, tool arguments) it brought: what a stream left before its usage
 * came is charged by.
 */
export type StreamEnd = (failure: UpstreamFailure | undefined, usage: Usage | undefined, outputChars: number) => void;

/**
 * Passes items through (the committed head, then the upstream) and reports how the stream ended, exactly
 * once (see `StreamEnd`). A plain async generator over the upstream is also a committed stream with
 * nothing read ahead.
 */
export function observeEnd(
  stream: CommittedStream | AsyncGenerator<StreamItem, void, undefined>,
  onEnd: StreamEnd,
  gaps?: GapWatch,
): AsyncGenerator<StreamItem, void, undefined> {
  return 'rest' in stream ? new ObservedStream(stream.head, stream.rest, onEnd, gaps) : new ObservedStream([], stream, onEnd, gaps);
}

/**
 * `observeEnd`'s stream: one object on every committed stream's path, rather than a generator with its
 * closures (an item costs one promise hop, and an open stream holds a few fields). Unlike a generator, it
 * reports and closes the upstream even when returned before it was read.
 */
class ObservedStream implements AsyncGenerator<StreamItem, void, undefined>, Pullable<StreamItem> {
  private nextHead = 0;
  private usage: Usage | undefined;
  private outputChars = 0;
  /** The attempt's end was reported: a failure's at once; a good end's and a cancel's on closing (see `note`). */
  private reported = false;
  /** The last item (end or failure) went out: the next call closes the upstream. */
  private last = false;
  private closed = false;
  private lastDataAtMs: number | undefined;

  /** Read once (the layer below never changes): see SurfaceFrames's in api/stream-answer.ts. */
  readonly pullable: boolean;

  constructor(
    private readonly head: StreamItem[],
    private readonly rest: AsyncGenerator<StreamItem, void, undefined>,
    private readonly onEnd: StreamEnd,
    private readonly gaps: GapWatch | undefined,
  ) {
    this.pullable = isPullable(rest);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  pull(): StreamItem | typeof WAIT | undefined {
    if (this.closed) return undefined;
    let item: StreamItem | typeof WAIT | undefined;
    if (this.last) item = undefined;
    else if (this.nextHead < this.head.length) item = this.head[this.nextHead++]!;
    else {
      try {
        item = pullerOf<StreamItem>(this.rest).pull();
      } catch (err) {
        closeSoon(this);
        throw err;
      }
    }
    if (item === WAIT) return WAIT;
    if (item === undefined) {
      // As `next` does: the upstream is closed (and the end reported) as soon as the stream is over.
      return closeSoon(this);
    }
    this.note(item);
    return item;
  }

  onReady(wake: (() => void) | undefined): void {
    pullerOf<StreamItem>(this.rest).onReady(wake);
  }

  async next(): Promise<IteratorResult<StreamItem, void>> {
    if (this.closed) return DONE;
    if (this.last) return this.return();
    let item: StreamItem;
    if (this.nextHead < this.head.length) {
      item = this.head[this.nextHead++]!;
    } else {
      let next: IteratorResult<StreamItem, void>;
      try {
        next = await this.rest.next();
      } catch (err) {
        await this.return();
        throw err;
      }
      if (next.done === true) return this.return();
      item = next.value;
    }
    this.note(item);
    return { done: false, value: item };
  }

  return(): Promise<IteratorResult<StreamItem, void>> {
    return this.closed ? RETURNED : this.close();
  }

  private async close(): Promise<IteratorResult<StreamItem, void>> {
    this.closed = true;
    if (!this.reported) {
      this.reported = true;
      // Not reported yet after the last item: that item was the good end. Before it: the reader left.
      this.onEnd(this.last ? undefined : { outcome: 'stream_cut', message: 'cancelled: the client went away', cancelled: true }, this.usage, this.outputChars);
    }
    await this.rest.return(undefined);
    return DONE;
  }

  async throw(err: unknown): Promise<IteratorResult<StreamItem, void>> {
    await this.return();
    throw err;
  }

  /** Notes one item: usage, output and pace from data, the report from the last. */
  private note(item: StreamItem): void {
    if (item.kind === 'data') {
      for (const event of item.events) {
        if (event.type === 'text_delta' || event.type === 'thinking_delta') this.outputChars += event.text.length;
        else if (event.type === 'tool_call_delta') this.outputChars += event.argumentsDelta.length;
        else if (event.type === 'usage') this.usage = event.usage;
      }
      const gaps = this.gaps;
      if (gaps !== undefined) {
        const nowMs = gaps.clock.now();
        if (this.lastDataAtMs !== undefined) gaps.onGap(nowMs - this.lastDataAtMs);
        this.lastDataAtMs = nowMs;
      }
      return;
    }
    this.last = true;
    // A good end is reported when the reader comes back (its next call, or closing): a server that
    // writes the end's frame and ends its response first gets the last bytes to the client before the
    // attempt's bookkeeping runs. A failure is reported at once: a continuation acts on it first.
    if (item.kind === 'failure') {
      this.reported = true;
      this.onEnd(item.failure, this.usage, this.outputChars);
    }
  }
}

/**
 * Closes a stream nobody will read (a hedge that lost after committing). `return()` alone would not do:
 * on a generator that never started it skips the body, so `observeEnd` would never report the attempt and
 * its concurrency slot and breaker permit would stay held. Starting it first makes its cleanup run.
 */
export async function closeStream(items: AsyncGenerator<StreamItem, void, undefined>): Promise<void> {
  try {
    await items.next();
  } finally {
    await items.return(undefined);
  }
}
