/**
 * Claude on Amazon Bedrock, as the simulator serves it: InvokeModel bodies are Anthropic Messages bodies
 * with `anthropic_version: bedrock-2023-05-31` and no `model` or `stream` (Bedrock refuses both as
 * extraneous keys), answers are Anthropic's, and InvokeModelWithResponseStream answers with AWS
 * event-stream messages (`:event-type: chunk`, a JSON payload whose `bytes` is a base64 Anthropic stream
 * event), encoded with AWS's own codec. Errors carry the type in `x-amzn-errortype` and a body of
 * `{"message": ...}`; mid-stream failures are exception messages. The final `message_stop` carries
 * Bedrock's `amazon-bedrock-invocationMetrics`, as the real service adds.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { ErrorContext, ErrorReply, FormatCodec, ReplyContext } from './format-codec.js';
import { isRecord } from './json-shape.js';
import type { SseFrame } from './sse-writer.js';
import type { ErrorKind } from './types.js';

export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';
const EXCEPTION_EVENT = 'bedrock-exception:'; // marks a frame to encode as an exception message

const codec = new EventStreamCodec(toUtf8, fromUtf8);

const ERRORS: Record<ErrorKind, { status: number; type: string; message: string }> = {
  rate_limit: { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
  overloaded: { status: 503, type: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' },
  unavailable: { status: 503, type: 'ServiceUnavailableException', message: 'Bedrock is unable to process your request.' },
  server_error: { status: 500, type: 'InternalServerException', message: 'The system encountered an unexpected error during processing. Try your request again.' },
  timeout: { status: 408, type: 'ModelTimeoutException', message: 'Model has timed out in processing the request. Try your request again.' },
  context_length: { status: 400, type: 'ValidationException', message: 'Input is too long for requested model.' },
  content_filter: { status: 400, type: 'ValidationException', message: 'Output blocked by content filtering policy.' },
  auth: { status: 403, type: 'AccessDeniedException', message: "You don't have access to the model with the specified model ID." },
  not_found: { status: 404, type: 'ResourceNotFoundException', message: 'Could not resolve the foundation model from the provided model identifier.' },
  bad_request: { status: 400, type: 'ValidationException', message: 'Malformed input request, please reformat your input and try again.' },
};

/** A Bedrock error reply; `type` and `status` may come from the signature check rather than a kind. */
export function bedrockErrorReply(type: string, status: number, message: string, ctx: ReplyContext): ErrorReply {
  return {
    status,
    headers: { 'x-amzn-requestid': ctx.newId(''), 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` },
    body: { message },
  };
}

/** Bedrock's body rules, before the Anthropic reader: returns the body the reader expects, or a 400. */
export function readBedrockBody(body: unknown, model: string): { ok: true; body: Record<string, unknown> } | { ok: false; message: string } {
  if (!isRecord(body)) return { ok: false, message: 'Malformed input request: expected type: JSONObject, found: JSONArray' };
  for (const key of ['model', 'stream']) {
    if (key in body) return { ok: false, message: `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.` };
  }
  // `bedrock-2023-05-31` is the documented value; Anthropic's Bedrock SDK sends its own dated version.
  if (typeof body['anthropic_version'] !== 'string' || !/^(bedrock-)?\d{4}-\d{2}-\d{2}$/.test(body['anthropic_version'])) {
    return { ok: false, message: `Malformed input request: #/anthropic_version: ${String(body['anthropic_version'] ?? 'required key [anthropic_version] not found')}, please reformat your input and try again.` };
  }
  const { anthropic_version: _version, ...rest } = body;
  return { ok: true, body: { ...rest, model } };
}

function encodeMessage(headers: Record<string, string>, payload: unknown): Buffer {
  const tagged = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { type: 'string' as const, value }]));
  return Buffer.from(codec.encode({ headers: tagged, body: fromUtf8(JSON.stringify(payload)) }));
}

/** One SSE frame of Anthropic's stream as Bedrock sends it: a `chunk` event or an exception message. */
export function encodeBedrockFrame(frame: SseFrame): Buffer {
  if (frame.event?.startsWith(EXCEPTION_EVENT) === true) {
    const type = frame.event.slice(EXCEPTION_EVENT.length);
    return encodeMessage({ ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' }, frame.data);
  }
  const bytes = Buffer.from(typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data)).toString('base64');
  return encodeMessage({ ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' }, { bytes, p: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'.slice(0, 1 + (bytes.length % 40)) });
}

/** A whole chunk message whose last payload byte was flipped: its CRC no longer holds. */
function malformedMessage(): Buffer {
  const message = encodeBedrockFrame({ data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } } });
  const at = message.length - 6;
  message.writeUInt8(message.readUInt8(at) ^ 0xff, at);
  return message;
}

function withMetrics(frames: SseFrame[], tokens: { input: number; output: number }): SseFrame[] {
  return frames
    .filter((frame) => frame.event !== 'ping') // Bedrock does not relay Anthropic's pings
    .map((frame) => {
      if (!isRecord(frame.data) || frame.data['type'] !== 'message_stop') return frame;
      const metrics = { inputTokenCount: tokens.input, outputTokenCount: tokens.output, invocationLatency: 120, firstByteLatency: 40 };
      return { ...frame, data: { ...frame.data, 'amazon-bedrock-invocationMetrics': metrics } };
    });
}

/** The Anthropic codec as Bedrock serves it. */
export function bedrockCodec(anthropic: FormatCodec): FormatCodec {
  return {
    ...anthropic,
    sseContentType: 'application/vnd.amazon.eventstream',
    renderStream: (plan, request, ctx) => withMetrics(anthropic.renderStream(plan, request, ctx), { input: plan.inputTokens, output: plan.outputTokens }),
    streamError: (kind) => kind === 'overloaded'
      ? { event: `${EXCEPTION_EVENT}serviceUnavailableException`, data: { message: ERRORS.overloaded.message } }
      : { event: `${EXCEPTION_EVENT}modelStreamErrorException`, data: { message: 'Model stream error: the model encountered an error while generating.', originalStatusCode: 500 } },
    malformedEvent: malformedMessage(),
    encodeFrame: encodeBedrockFrame,
    errorReply: (error: ErrorContext, ctx: ReplyContext) => {
      const known = ERRORS[error.kind];
      return bedrockErrorReply(known.type, known.status, error.message ?? known.message, ctx);
    },
    responseHeaders: (ctx) => ({ 'x-amzn-requestid': ctx.newId('') }),
  };
}
