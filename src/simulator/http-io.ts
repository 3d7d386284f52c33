/**
 * Low-level HTTP helpers shared by the simulator's handlers: reading a request body, abort-aware waits
 * (every timer a request starts ends when its client goes away, so nothing leaks or writes after close),
 * writes that respect backpressure, and JSON responses.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

/** Bodies above this are refused: base64 images make requests large, but not this large. */
const MAX_BODY_BYTES = 64 * 1024 * 1024; // 64 MiB

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError(`request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves after `ms`, or as soon as the signal aborts (callers check `signal.aborted` afterwards). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves only when the signal aborts: a client disconnect or the simulator closing. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Silence for `ms`, or (without `ms`) until the client leaves: how the stall faults wait. */
export function silence(ms: number | undefined, signal: AbortSignal): Promise<void> {
  return ms === undefined ? untilAborted(signal) : pause(ms, signal);
}

/**
 * Writes a chunk and, when the socket buffer is full or `flushed` is asked, waits until the bytes are
 * handed to the kernel (or the client is gone), so that a fault destroying the socket next cannot drop them.
 */
export function writeChunk(res: ServerResponse, chunk: string | Buffer, signal: AbortSignal, flushed = false): Promise<void> {
  if (signal.aborted || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      res.off('drain', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    const ok = res.write(chunk, flushed ? () => done() : undefined);
    if (flushed) return;
    if (ok) done();
    else res.once('drain', done);
  });
}

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
}
