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

/**
 * Writes frames; a promise to wait on only when the socket's buffer is full (undefined otherwise), so a
 * client that keeps up costs no promise per write.
 */
export function writeSse(res: ServerResponse, frames: string): Promise<void> | undefined {
  if (frames === '' || res.destroyed || res.write(frames)) return undefined;
  return Promise.race([once(res, 'drain'), once(res, 'close')]).then(() => undefined);
}
