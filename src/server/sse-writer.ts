/**
 * Writes an SSE response with backpressure: when the client reads slowly, the writer waits for the socket
 * to drain instead of buffering the whole answer in memory.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';

export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  // Tells nginx-style proxies in front of Keel not to buffer the stream.
  'x-accel-buffering': 'no',
};

export async function writeSse(res: ServerResponse, frames: string): Promise<void> {
  if (frames === '' || res.destroyed) return;
  if (!res.write(frames)) {
    await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }
}
