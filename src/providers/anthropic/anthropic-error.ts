/**
 * Classifies an Anthropic error (status + body + headers, or an in-stream `error` event) into an Outcome.
 * Anthropic names every error with a `type`, which is more precise than the status: a 529 and an
 * in-stream `overloaded_error` are the same condition, and a 400 may be a context-length refusal
 * (`prompt is too long`). The type is kept as `providerType` so a client sees the original reason.
 */
import type { FailureOutcome, UpstreamFailure } from '../types.js';
import { parseRetryAfterMs } from '../retry-after.js';
import { safeMessage } from '../http/upstream-request.js';
import { anthropicErrorBody } from './anthropic-wire.js';

const CONTEXT_LENGTH = /prompt is too long|context window|too many (input )?tokens|context length/i;
const CONTENT_FILTER = /content filtering policy|blocked by content filter/i;

export function anthropicOutcome(type: string | undefined, status: number | undefined, message: string): FailureOutcome {
  switch (type) {
    case 'overloaded_error':
      return 'overloaded';
    case 'rate_limit_error':
      return 'rate_limited';
    case 'timeout_error':
      return 'timeout';
    case 'api_error':
      return 'server_error';
    case 'authentication_error':
    case 'permission_error':
    case 'billing_error':
      return 'auth';
    case 'not_found_error':
    case 'request_too_large':
      return 'bad_request';
    case 'invalid_request_error':
      if (CONTEXT_LENGTH.test(message)) return 'context_length';
      if (CONTENT_FILTER.test(message)) return 'content_filter';
      return 'bad_request';
  }
  if (status === undefined) return 'server_error'; // an unnamed error mid-stream: the provider broke
  if (status === 529 || status === 503) return 'overloaded';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 401 || status === 402 || status === 403) return 'auth';
  if (status >= 500) return 'server_error';
  if ((status === 400 || status === 413) && CONTEXT_LENGTH.test(message)) return 'context_length';
  return 'bad_request';
}

/** Reads `{type: "error", error: {type, message}}`; anything else (an HTML page from a proxy) is kept as text. */
export function readAnthropicError(bodyText: string, fallback: string): { type?: string; message: string } {
  try {
    const parsed = anthropicErrorBody.safeParse(JSON.parse(bodyText));
    if (parsed.success) {
      const { type, message } = parsed.data.error;
      return type == null ? { message: message ?? fallback } : { type, message: message ?? fallback };
    }
  } catch {
    // not JSON
  }
  return { message: bodyText.trim() === '' ? fallback : `${fallback}: ${bodyText.trim()}` };
}

export function classifyAnthropicError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): UpstreamFailure {
  const { type, message } = readAnthropicError(bodyText, `provider answered HTTP ${status}`);
  const failure: UpstreamFailure = { outcome: anthropicOutcome(type, status, message), message: safeMessage(message), status };
  const retryAfterMs = parseRetryAfterMs(headers, nowMs);
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  if (type !== undefined) failure.providerType = type;
  return failure;
}

/** An `event: error` in a stream that had started with a 200. */
export function classifyAnthropicStreamError(error: { type?: string | null | undefined; message?: string | null | undefined }): UpstreamFailure {
  const message = error.message ?? 'the provider sent an error mid-stream';
  const failure: UpstreamFailure = { outcome: anthropicOutcome(error.type ?? undefined, undefined, message), message: safeMessage(message) };
  if (error.type != null) failure.providerType = error.type;
  return failure;
}
