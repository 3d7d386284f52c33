/**
 * Reads a request body under a size limit. A declared Content-Length over the limit is refused before a
 * byte is read; a body that grows past the limit is refused as soon as it does, without buffering the rest.
 */
import type { IncomingMessage } from 'node:http';
import { KeelError } from '../core/errors.js';

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw tooLarge(limitBytes);
    chunks.push(buf);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function tooLarge(limitBytes: number): KeelError {
  return new KeelError('body_too_large', `The request body is larger than the limit of ${limitBytes} bytes.`);
}

/** Parses a JSON body, turning a syntax error into a 400 that says where the JSON broke. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new KeelError('invalid_json', 'The request body is empty; expected a JSON object.');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : 'invalid JSON';
    throw new KeelError('invalid_json', `The request body is not valid JSON: ${detail}.`);
  }
}

export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
