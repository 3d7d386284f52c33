/**
 * The contract each wire format implements: read a provider request into a `NeutralRequest`, render a
 * `ReplyPlan` as that provider's JSON body or SSE frames, and shape errors the way that provider does.
 * The request handler drives every format through this one interface, so faults, pacing and stats are
 * written once and behave the same for all three providers.
 */
import type { NeutralRequest, ReplyPlan } from './reply-plan.js';
import type { SseFrame } from './sse-writer.js';
import type { ErrorKind, WireFormat } from './types.js';

/** A request the provider would reject with a 400 (`param` names the offending field where it has one). */
export class InvalidRequestError extends Error {
  override readonly name = 'InvalidRequestError';
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export interface ReplyContext {
  model: string;
  /** Unix seconds, as OpenAI's `created`. */
  createdS: number;
  /** Deterministic id maker: `newId('chatcmpl-')`. */
  newId(prefix: string): string;
}

export interface ErrorContext {
  model: string;
  status: number;
  kind: ErrorKind;
  message?: string;
  /** The request field at fault (OpenAI's `param`). */
  param?: string | null;
  retryAfterS?: number;
  /** For context-length errors: the request's input tokens and the model's window. */
  inputTokens?: number;
  contextWindow?: number;
}

export interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface FormatCodec {
  readonly format: WireFormat;
  /** Content type of this provider's event streams. */
  readonly sseContentType: string;
  /** Throws InvalidRequestError for bodies the provider would refuse. */
  readRequest(body: unknown, target: { model: string | null; stream: boolean }): NeutralRequest;
  renderJson(plan: ReplyPlan, request: NeutralRequest, ctx: ReplyContext): unknown;
  renderStream(plan: ReplyPlan, request: NeutralRequest, ctx: ReplyContext): SseFrame[];
  /** The provider's mid-stream error event. */
  streamError(kind: 'overloaded' | 'server_error', ctx: ReplyContext): SseFrame;
  /** One broken SSE event (or event-stream message), for the `malformed_chunk` fault. */
  readonly malformedEvent: string | Buffer;
  /** Frames on the wire when not SSE (Bedrock's AWS event-stream messages). */
  encodeFrame?(frame: SseFrame): Buffer;
  errorReply(error: ErrorContext, ctx: ReplyContext): ErrorReply;
  /** Headers every response of this provider carries (request ids). */
  responseHeaders(ctx: ReplyContext): Record<string, string>;
  /** A 200 answer blocked by safety filters, for providers that report filtering that way (Gemini). */
  safetyBlock?(inputTokens: number, ctx: ReplyContext): unknown;
  /** The body of the provider's list-models endpoint. */
  listModels(names: string[], ctx: ReplyContext): unknown;
}

/** The error kind an `error` fault means when it names only a status. */
export function kindForStatus(status: number): ErrorKind {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return 'bad_request';
    case 401:
    case 403:
      return 'auth';
    case 404:
      return 'not_found';
    case 408:
    case 504:
      return 'timeout';
    case 429:
      return 'rate_limit';
    case 503:
      return 'unavailable';
    case 529:
      return 'overloaded';
    default:
      return status >= 500 ? 'server_error' : 'bad_request';
  }
}
