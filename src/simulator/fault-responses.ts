/**
 * Writes the responses that end a request early or imperfectly: provider-shaped error replies (with the
 * retry headers an `error` fault asks for), Gemini's 200-with-SAFETY content filtering, and JSON bodies
 * damaged by the stream faults (`stream_cut` sends half the body then drops the socket, `stream_stall`
 * pauses mid-body, `malformed_chunk` ends the body at its midpoint, `body_hang` sends the headers and
 * then not one byte of the body).
 */
import type { ServerResponse } from 'node:http';
import { kindForStatus, type ErrorContext, type FormatCodec, type ReplyContext } from './format-codec.js';
import { sendJson, silence, writeChunk } from './http-io.js';
import { encodeFrame, sseHeaders } from './sse-writer.js';
import type { ErrorFault, SingleFaultSpec } from './types.js';
import type { Transport } from './routes.js';

export function sendErrorReply(
  res: ServerResponse,
  codec: FormatCodec,
  error: ErrorContext,
  ctx: ReplyContext,
  fault?: ErrorFault,
): void {
  const reply = codec.errorReply(error, ctx);
  const headers: Record<string, string> = { ...codec.responseHeaders(ctx), ...reply.headers };
  if (fault?.retryAfterS !== undefined) headers['retry-after'] = String(fault.retryAfterS);
  if (fault?.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  Object.assign(headers, fault?.headers ?? {});
  const body = fault?.body !== undefined ? fault.body : reply.body;
  if (typeof body !== 'string') {
    sendJson(res, reply.status, body, headers);
    return;
  }
  // A string body is sent verbatim: an HTML 502 page from a proxy is a failure clients must survive too.
  res.writeHead(reply.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** Answers an `error` fault in the request's format. */
export function sendErrorFault(
  res: ServerResponse,
  codec: FormatCodec,
  fault: ErrorFault,
  ctx: ReplyContext,
  request: { inputTokens: number; transport: 'json' | 'sse' | 'json-array' },
): void {
  const kind = fault.kind ?? kindForStatus(fault.status);
  if (kind === 'content_filter' && codec.safetyBlock !== undefined && fault.body === undefined) {
    sendSafetyBlock(res, codec.safetyBlock(request.inputTokens, ctx), codec, ctx, request.transport);
    return;
  }
  const error: ErrorContext = {
    model: ctx.model,
    status: fault.status,
    kind,
    ...(fault.message !== undefined ? { message: fault.message } : {}),
    ...(fault.retryAfterS !== undefined ? { retryAfterS: fault.retryAfterS } : {}),
  };
  sendErrorReply(res, codec, error, ctx, fault);
}

function sendSafetyBlock(
  res: ServerResponse,
  block: unknown,
  codec: FormatCodec,
  ctx: ReplyContext,
  transport: Exclude<Transport, 'by-body'>,
): void {
  const headers = codec.responseHeaders(ctx);
  if (transport === 'json') {
    sendJson(res, 200, block, headers);
    return;
  }
  if (transport === 'json-array') {
    sendJson(res, 200, [block], headers);
    return;
  }
  res.writeHead(200, { ...headers, ...sseHeaders(codec.sseContentType) });
  res.end(encodeFrame({ data: block }));
}

/** Sends a 200 JSON body, damaged as the request's stream fault says (other faults: sent intact). */
export async function sendJsonBody(
  res: ServerResponse,
  body: unknown,
  headers: Record<string, string>,
  fault: SingleFaultSpec | null,
  signal: AbortSignal,
): Promise<void> {
  const payload = Buffer.from(JSON.stringify(body));
  const half = Math.floor(payload.length / 2);
  const head = { ...headers, 'content-type': 'application/json' };
  switch (fault?.type) {
    case 'stream_cut':
      res.writeHead(200, { ...head, 'content-length': String(payload.length) });
      await writeChunk(res, payload.subarray(0, half), signal, true);
      res.socket?.destroy();
      return;
    case 'stream_stall':
      res.writeHead(200, { ...head, 'content-length': String(payload.length) });
      await writeChunk(res, payload.subarray(0, half), signal);
      await silence(fault.ms, signal);
      if (!signal.aborted) res.end(payload.subarray(half));
      return;
    case 'body_hang':
      // The status and headers promise an answer (content-length included), as a provider whose
      // generation stalled after it committed to a 200 would: only a body timeout can tell.
      res.writeHead(200, { ...head, 'content-length': String(payload.length) });
      res.flushHeaders();
      await silence(fault.ms, signal);
      if (!signal.aborted) res.end(payload);
      return;
    case 'malformed_chunk':
      res.writeHead(200, { ...head, 'content-length': String(half) });
      res.end(payload.subarray(0, half));
      return;
    default:
      res.writeHead(200, { ...head, 'content-length': String(payload.length) });
      res.end(payload);
  }
}
