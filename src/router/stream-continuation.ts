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

export async function* continueOnFailure(items: AsyncGenerator<StreamItem, void, undefined>, tryContinue: Continue): AsyncGenerator<StreamItem, void, undefined> {
  const sent: StreamEvent[] = [];
  let text = '';
  let textIndex: number | undefined;
  let textOnly = true;
  for await (const item of items) {
    if (item.kind === 'failure' && textOnly && textIndex !== undefined && item.failure.cancelled !== true && isFailoverable(item.failure.outcome)) {
      const continuation = await tryContinue(text);
      const rest = continuation === undefined ? undefined : continuation.mode === 'prefill' ? continuation.items : await afterPrefix(continuation.items, text);
      if (rest !== undefined) {
        continuation!.onTakeOver?.();
        yield { kind: 'resync', events: sent };
        yield* renumber(rest, textIndex);
        return;
      }
    }
    if (item.kind === 'data') {
      for (const event of item.events) {
        sent.push(event);
        if (event.type === 'text_delta') {
          textIndex ??= event.index;
          text += event.text;
        } else if (event.type !== 'start' && event.type !== 'usage') textOnly = false;
      }
    }
    yield item;
    if (item.kind !== 'data') return;
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
