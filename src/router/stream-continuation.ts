/**
 * Mid-stream failover. Once a stream has shown the client content, a clean restart is impossible: the
 * client already has the first half of an answer. A cut or stalled text answer can still be finished by
 * a deployment that accepts an assistant prefill (it continues the partial answer it is given); the
 * client sees one answer, with a `resync` item first so its encoder knows what was already sent. Where
 * no such deployment is left, or the answer had more than text (a tool call half sent), the stream ends
 * with the provider's failure, which the surface turns into an in-stream error, never a success.
 */
import type { StreamEvent } from '../core/chat-response.js';
import { isFailoverable } from '../core/outcome.js';
import type { StreamItem } from '../providers/index.js';

/** Starts a continuation from the partial text, or undefined when none can be had. */
export type Continue = (partialText: string) => Promise<AsyncGenerator<StreamItem, void, undefined> | undefined>;

export async function* continueOnFailure(items: AsyncGenerator<StreamItem, void, undefined>, tryContinue: Continue): AsyncGenerator<StreamItem, void, undefined> {
  const sent: StreamEvent[] = [];
  let text = '';
  let textIndex: number | undefined;
  let textOnly = true;
  for await (const item of items) {
    if (item.kind === 'failure' && textOnly && textIndex !== undefined && item.failure.cancelled !== true && isFailoverable(item.failure.outcome)) {
      const continuation = await tryContinue(text);
      if (continuation !== undefined) {
        yield { kind: 'resync', events: sent };
        yield* renumber(continuation, textIndex);
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
