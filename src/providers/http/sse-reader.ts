/**
 * Reads server-sent events from an upstream body with the idle timeout: once the first data event has
 * come, each next one must come within the idle budget (the wait for the first one is timed by the
 * router's attempt clock, through the request's signal). Comments (`: ping`)
 * and keep-alive lines do not count as progress: a provider that only pings is stalled. Time spent waiting
 * for our own consumer (a slow client) is not charged to the provider.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Readable } from 'node:stream';
import { StreamTimeoutError } from './network-failure.js';

export interface SseReadOptions {
  idleMs: number;
  /**
   * Asked when the consumer stops early: true when the answer is complete and only the terminator or the
   * end of the body is left. The rest is then drained so the keep-alive socket goes back to the pool;
   * otherwise (client gone mid-answer) the body is destroyed, which also stops the provider generating.
   */
  completed?: () => boolean;
}

const DRAIN_LIMIT_MS = 1_000; // a finished answer's body ends at once; past this the socket is not worth it

export async function* readSseEvents(body: Readable, options: SseReadOptions): AsyncGenerator<EventSourceMessage, void, undefined> {
  const queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const decoder = new TextDecoder();
  // One timer, armed at the first data event and refreshed per chunk (cheap).
  let waitingOnConsumer = false;
  let timer: NodeJS.Timeout | undefined;
  function onTimeout(): void {
    // The consumer's pace (a slow client) is not the provider's fault: look again later.
    if (waitingOnConsumer) timer?.refresh();
    else body.destroy(new StreamTimeoutError('idle', options.idleMs));
  }
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      if (queue.length === 0) continue;
      timer ??= setTimeout(onTimeout, Math.max(1, options.idleMs));
      waitingOnConsumer = true;
      while (queue.length > 0) yield queue.shift()!;
      waitingOnConsumer = false;
      timer.refresh();
    }
    parser.feed(decoder.decode());
    clearTimeout(timer);
    while (queue.length > 0) yield queue.shift()!;
  } finally {
    clearTimeout(timer);
    if (!body.destroyed && !body.readableEnded) {
      if (options.completed?.() === true) drain(body);
      else {
        // The iterator has let go of the body: without a listener, undici's "Request aborted" error from
        // this destroy would be an uncaught exception and take the whole process down.
        body.on('error', () => undefined);
        body.destroy();
      }
    }
  }
}

function drain(body: Readable): void {
  const giveUp = setTimeout(() => body.destroy(), DRAIN_LIMIT_MS);
  giveUp.unref();
  body.once('close', () => clearTimeout(giveUp));
  body.on('error', () => undefined);
  body.resume();
}
