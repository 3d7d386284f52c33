/**
 * Reads a request body under a size limit. A declared Content-Length over the limit is refused before a
 * byte is read; a body that grows past the limit is refused as soon as it does, without buffering the rest.
 */
import type { IncomingMessage } from 'node:http';
import { KeelError } from '../core/errors.js';

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw bodyTooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw bodyTooLarge(limitBytes);
    chunks.push(buf);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

export function bodyTooLarge(limitBytes: number): KeelError {
  return new KeelError('body_too_large', `The request body is larger than the limit of ${limitBytes} bytes.`);
}
