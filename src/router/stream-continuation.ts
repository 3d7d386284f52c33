/**
 * Mid-stream failover. Once a stream has shown the client content, a clean restart is impossible: the
 * client already has the first half of an answer. A cut or stalled text answer can still be finished:
 * by a deployment that accepts an assistant prefill (it continues the partial answer it is given), or
 * by one asked the original question again (`replay`), whose answer is used only when it begins with
 * exactly the text the client already has (the same model elsewhere, deterministic sampling) — the rest
 * is sent on from there. The client sees one answer, with a `resync` item first so its encoder knows
 * what was already sent. A replay that does not match is never spliced; where nothing can continue, or
 * the answer had more than text (a tool call half sent), the stream ends with the provider's failure,
 * which the surface turns into an in-stream error, never a success.
 */
import type { StreamEvent } from '../core/chat-response.js';
import { isFailoverable } from '../core/outcome.js';
import { closeSoon, isPullable, pullerOf, WAIT, type Pullable } from '../core/pull-stream.js';
import type { StreamItem } from '../providers/index.js';

export interface Continuation {
  items: AsyncGenerator<StreamItem, void, undefined>;
  /** `prefill`: it continues the partial text; `replay`: it answers afresh and must match the partial text. */
  mode: 'prefill' | 'replay';
  /** Called when the continuation is used: its answer is now the client's. */
  onTakeOver?: () => void;
}

/** Starts a continuation from the partial text, or undefined when none can be had. */
export type Continue = (partialText: string) => Promise<Continuation | undefined>;

export function continueOnFailure(items: AsyncGenerator<StreamItem, void, undefined>, tryContinue: Continue): AsyncGenerator<StreamItem, void, undefined> {
  return new ContinuedStream(items, tryContinue);
}

const DONE: IteratorReturnResult<void> = { done: true, value: undefined };

/**
 * `continueOnFailure`'s stream: one object on the path of every stream a route could finish elsewhere,
 * and pullable (see pull-stream.ts) when the original stream is. While the original flows, each item is
 * noted (what the client was sent) and passed on; a failure another deployment may finish switches to
 * the tail, an async generator (the rare path): the continuation's items after a `resync`, or the failure
 * when none can be had. The tail is pulled through one pending `next` at a time.
 */
class ContinuedStream implements AsyncGenerator<StreamItem, void, undefined>, Pullable<StreamItem> {
  private readonly sent: StreamEvent[] = [];
  private text = '';
  private textIndex: number | undefined;
  private textOnly = true;
  /** The original stream's last item went out: nothing follows. */
  private over = false;
  private closed = false;
  /** The rest of the answer after a continuable failure. */
  private tail: AsyncGenerator<StreamItem, void, undefined> | undefined;
  /** The tail's `next`, while a puller waits on it; then what it gave. */
  private tailPending = false;
  private tailSettled: { result: IteratorResult<StreamItem, void> } | { error: unknown } | undefined;
  private wake: (() => void) | undefined;

  /** Read once (the layer below never changes): see SurfaceFrames's in api/stream-answer.ts. */
  readonly pullable: boolean;

  constructor(
    private readonly items: AsyncGenerator<StreamItem, void, undefined>,
    private readonly tryContinue: Continue,
  ) {
    this.pullable = isPullable(items);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  onReady(wake: (() => void) | undefined): void {
    this.wake = wake;
    pullerOf<StreamItem>(this.items).onReady(wake);
  }

  pull(): StreamItem | typeof WAIT | undefined {
    if (this.closed) return undefined;
    if (this.tail !== undefined) return this.pullTail();
    if (this.over) return closeSoon(this);
    const got = pullerOf<StreamItem>(this.items).pull();
    if (got === WAIT) return WAIT;
    if (got === undefined) return closeSoon(this);
    return this.take(got) ?? this.pullTail();
  }

  async next(): Promise<IteratorResult<StreamItem, void>> {
    if (this.closed) return DONE;
    if (this.tail !== undefined) return this.nextOfTail();
    if (this.over) return this.return();
    const next = await this.items.next();
    if (next.done === true) return this.return();
    const item = this.take(next.value);
    return item !== undefined ? { done: false, value: item } : this.nextOfTail();
  }

  private async nextOfTail(): Promise<IteratorResult<StreamItem, void>> {
    const next = await this.tail!.next();
    return next.done === true ? this.return() : next;
  }

  async return(): Promise<IteratorResult<StreamItem, void>> {
    if (this.closed) return DONE;
    this.closed = true;
    await this.items.return(undefined);
    if (this.tail !== undefined) await this.tail.return(undefined);
    return DONE;
  }

  async throw(err: unknown): Promise<IteratorResult<StreamItem, void>> {
    await this.return();
    throw err;
  }

  /** One item of the original stream: the item for the client, or undefined once the tail has taken over. */
  private take(item: StreamItem): StreamItem | undefined {
    if (item.kind === 'failure') {
      if (this.textOnly && this.textIndex !== undefined && item.failure.cancelled !== true && isFailoverable(item.failure.outcome)) {
        this.tail = this.finish(item);
        return undefined;
      }
    } else if (item.kind === 'data') {
      for (const event of item.events) {
        this.sent.push(event);
        if (event.type === 'text_delta') {
          this.textIndex ??= event.index;
          this.text += event.text;
        } else if (event.type !== 'start' && event.type !== 'usage') this.textOnly = false;
      }
      return item;
    }
    this.over = true;
    return item;
  }

  /** After a cut: the continuation from the client's partial text, or the failure when none can be had. */
  private async *finish(failure: StreamItem): AsyncGenerator<StreamItem, void, undefined> {
    const continuation = await this.tryContinue(this.text);
    const rest = continuation === undefined ? undefined : continuation.mode === 'prefill' ? continuation.items : await afterPrefix(continuation.items, this.text);
    if (rest === undefined) {
      yield failure;
      return;
    }
    continuation!.onTakeOver?.();
    yield { kind: 'resync', events: this.sent };
    yield* renumber(rest, this.textIndex!);
  }

  private pullTail(): StreamItem | typeof WAIT | undefined {
    const settled = this.tailSettled;
    if (settled !== undefined) {
      this.tailSettled = undefined;
      if ('error' in settled) {
        closeSoon(this);
        throw settled.error;
      }
      return settled.result.done === true ? closeSoon(this) : settled.result.value;
    }
    if (!this.tailPending) {
      this.tailPending = true;
      const settle = (outcome: NonNullable<ContinuedStream['tailSettled']>): void => {
        this.tailPending = false;
        this.tailSettled = outcome;
        this.wake?.();
      };
      this.tail!.next().then(
        (result) => settle({ result }),
        (error: unknown) => settle({ error }),
      );
    }
    return WAIT;
  }
}

/** The continuation's text goes on in the same block; its own start event is not news to the client. */
async function* renumber(items: AsyncGenerator<StreamItem, void, undefined>, textIndex: number): AsyncGenerator<StreamItem, void, undefined> {
  for await (const item of items) {
    if (item.kind !== 'data') {
      yield item;
      continue;
    }
    const events = item.events
      .filter((e) => e.type !== 'start')
      .map((e) => (e.type === 'text_delta' ? { ...e, index: textIndex } : e));
    yield { kind: 'data', events };
  }
}

/**
 * A replayed answer from the point where the client's partial text ends, or undefined when its text does
 * not begin with exactly that text (or it has anything but text before reaching it, or it fails first).
 * Nothing is yielded until the match is decided; the mismatching stream is closed.
 */
async function afterPrefix(items: AsyncGenerator<StreamItem, void, undefined>, prefix: string): Promise<AsyncGenerator<StreamItem, void, undefined> | undefined> {
  let text = '';
  let index: number | undefined;
  const pending: StreamEvent[] = [];
  for (;;) {
    const next = await items.next();
    const item = next.done === true ? undefined : next.value;
    if (item?.kind === 'data') {
      for (const event of item.events) {
        if (text.length >= prefix.length) pending.push(event);
        else if (event.type === 'text_delta' && (index ??= event.index) === event.index) text += event.text;
        else if (event.type !== 'start' && event.type !== 'usage') return mismatch(items);
      }
      if (text.length < prefix.length) continue;
      if (!text.startsWith(prefix)) return mismatch(items);
      const remainder = text.slice(prefix.length);
      const head: StreamEvent[] = remainder.length > 0 ? [{ type: 'text_delta', index: index!, text: remainder }, ...pending] : pending;
      return (async function* rest() {
        if (head.length > 0) yield { kind: 'data', events: head };
        yield* items;
      })();
    }
    // Ended, failed or cut before it had said as much as the client already has: no match.
    return mismatch(items);
  }
}

async function mismatch(items: AsyncGenerator<StreamItem, void, undefined>): Promise<undefined> {
  await items.return(undefined);
  return undefined;
}
