/**
 * The items of a stream whose events are named and whose decoder knows when the answer is whole
 * (Anthropic Messages on Anthropic, Vertex or Bedrock; OpenAI Responses): data items as events arrive,
 * then exactly one `end` — once the decoder has seen the closing event, the rest of the body is drained,
 * not waited for — or one `failure`: an error event, a body that ends early, or a connection that breaks
 * or stalls. The framing (SSE, or AWS event-stream chunks) is the caller's: `decodedStreamItems` takes
 * the events however they came, `sseStreamItems` reads them from an SSE body (see sse-items.ts).
 */
import type { Readable } from 'node:stream';
import type { UpstreamSignal } from '../attempt-signal.js';
import type { StreamItem } from '../types.js';
import type { StreamReadOptions } from './exchange.js';
import { classifyNetworkFailure } from './network-failure.js';
import { DataBatch } from './data-batch.js';
import { readSseItems, type SseWatch } from './sse-items.js';

export function sseStreamItems(body: Readable, options: StreamReadOptions, decoder: SseWatch): AsyncGenerator<StreamItem, void, undefined> {
  return readSseItems(body, options, decoder);
}

/** `batches`: the events as they came, a batch per read of the body (see data-batch.ts). */
export async function* decodedStreamItems(
  batches: AsyncIterable<readonly { event?: string | undefined; data: string }[]>,
  signal: UpstreamSignal,
  decoder: SseWatch,
): AsyncGenerator<StreamItem, void, undefined> {
  const batch = new DataBatch();
  try {
    for await (const events of batches) {
      for (const event of events) {
        const decoded = decoder.push(event.data, event.event);
        if (decoded.raw !== undefined) batch.add(decoded.events, decoded.raw);
        if (decoded.failure !== undefined || decoder.complete) {
          const data = batch.take();
          if (data !== undefined) yield data;
          yield decoded.failure !== undefined ? { kind: 'failure', failure: decoded.failure } : { kind: 'end' };
          return;
        }
      }
      const data = batch.take();
      if (data !== undefined) yield data;
    }
    yield { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended before the answer finished' } };
  } catch (err) {
    const data = batch.take();
    if (data !== undefined) yield data;
    yield { kind: 'failure', failure: classifyNetworkFailure(err, signal, 'body') };
  }
}
