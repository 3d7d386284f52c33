/**
 * Reads a request body under a size limit. A declared Content-Length over the limit is refused before a
 * byte is read; a body that grows past the limit is refused as soon as it does, without reading the rest
 * (the stream is paused, so the caller can still answer 413 and close the connection). A client that
 * leaves mid-body rejects the read; it never hangs.
 *
 * Plain listeners rather than `for await`: the stream's async iterator costs an object graph (and its
 * end-of-stream watch) per request.
 */
import type { IncomingMessage } from 'node:http';
import { KeelError } from '../core/errors.js';

export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) return Promise.reject(bodyTooLarge(limitBytes));
  if (req.destroyed) return Promise.reject(prematureClose());
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (err: Error | undefined): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (err === undefined) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      else reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limitBytes) {
        chunks.push(chunk);
        return;
      }
      req.pause();
      settle(bodyTooLarge(limitBytes));
    };
    const onEnd = (): void => settle(undefined);
    const onError = (err: Error): void => settle(err);
    // Closed with neither an end nor an error: the client left mid-body.
    const onClose = (): void => settle(prematureClose());
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function prematureClose(): Error {
  return Object.assign(new Error('the request body closed before it ended'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

export function bodyTooLarge(limitBytes: number): KeelError {
  return new KeelError('body_too_large', `The request body is larger than the limit of ${limitBytes} bytes.`);
}
