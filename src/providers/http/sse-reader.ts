/**
 * Reads server-sent events from an upstream body with the idle timeout: once the first data event has
 * come, each next one must come within the idle budget (the wait for the first one is timed by the
 * router's attempt clock, through the request's signal). Comments (`: ping`)
 * and keep-alive lines do not count as progress: a provider that only pings is stalled. Time spent waiting
 * for our own consumer (a slow client) is not charged to the provider.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Readable } from 'node:stream';
import { releaseBody, StreamWatchdog } from './stream-watchdog.js';

export interface SseReadOptions {
  idleMs: number;
  /**
   * Asked when the consumer stops early: true when the answer is complete and only the terminator or the
   * end of the body is left. The rest is then drained so the keep-alive socket goes back to the pool;
   * otherwise (client gone mid-answer) the body is destroyed, which also stops the provider generating.
   */
  completed?: () => boolean;
}

/**
 * The events in batches: every event completed by one read of the body comes as one array. A fast
 * provider packs many events into a read, and each layer above (decoder, router, client writer) then does
 * its per-item work, and the client socket its write, once per read instead of once per event.
 */
export async function* readSseBatches(body: Readable, options: SseReadOptions): AsyncGenerator<EventSourceMessage[], void, undefined> {
  let queue: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => queue.push(event) });
  const decoder = new TextDecoder();
  const watchdog = new StreamWatchdog(body, options.idleMs);
  try {
    for await (const chunk of body.iterator({ destroyOnReturn: false })) {
      parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
      if (queue.length === 0) continue;
      watchdog.eventsArrived();
      watchdog.consumerBusy(true);
      const batch = queue;
      queue = [];
      yield batch;
      watchdog.consumerBusy(false);
    }
    parser.feed(decoder.decode());
    watchdog.stop();
    if (queue.length > 0) yield queue;
  } finally {
    watchdog.stop();
    releaseBody(body, options.completed?.() === true);
  }
}
