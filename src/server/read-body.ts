/**
 * Reads a request body under a size limit. A declared Content-Length over the limit is refused before a
 * byte is read; a body that grows past the limit is refused as soon as it does, without reading the rest
 * (the stream is paused, so the caller can still answer 413 and close the connection). A client that
 * leaves mid-body rejects the read; it never hangs.
 * The read itself is `readAll`'s: plain listeners, no async iterator.
 */
import type { IncomingMessage } from 'node:http';
import { KeelError } from '../core/errors.js';
import { readAll } from '../core/read-all.js';

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(bodyTooLarge(limitBytes));
  return readAll(req, {
    onChunk: (size) => (size > limitBytes ? bodyTooLarge(limitBytes) : undefined),
    prematureClose: () => Object.assign(new Error('the request body closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
  });
}

export function bodyTooLarge(limitBytes: number): KeelError {
  return new KeelError('body_too_large', `The request body is larger than the limit of ${limitBytes} bytes.`);
}
