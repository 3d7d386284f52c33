/**
 * How a `KeelError` looks to each client API: the status comes from the error, the body shape from the
 * client's format. OpenAI clients get `{"error": {message, type, param, code}}`; Anthropic clients get
 * `{"type": "error", "error": {type, message, details: {error_code}}}`; Gemini clients
 * `{"error": {code, message, status}}`. The official SDKs read these to build their typed errors, so Keel's
 * stable code sits where each SDK looks for one (`error.code`, and `error.details.error_code`, the Anthropic
 * SDK's `errorCode`). The upstream's rate-limit headers behind an error go out prefixed, beside (never
 * over) Keel's own `Retry-After` and `x-ratelimit-*`.
 */
import type { WireFormat } from '../core/chat-request.js';
import { KeelError, type ErrorCode } from '../core/errors.js';
import { secrets } from '../core/secrets.js';

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

const OPENAI_TYPE: Partial<Record<ErrorCode, string>> = {
  unauthorized: 'invalid_request_error',
  forbidden: 'permission_error',
  rate_limited: 'rate_limit_error',
  budget_exceeded: 'insufficient_quota',
  internal: 'server_error',
  stream_interrupted: 'server_error',
  all_deployments_failed: 'server_error',
  unavailable: 'server_error',
  deadline_exceeded: 'server_error',
  client_closed: 'server_error',
};

const OPENAI_CODE: Partial<Record<ErrorCode, string>> = {
  invalid_json: 'invalid_json',
  unsupported_feature: 'unsupported_feature',
  context_length: 'context_length_exceeded',
  content_filter: 'content_filter',
  unauthorized: 'invalid_api_key',
  model_not_found: 'model_not_found',
  not_found: 'unknown_url',
  method_not_allowed: 'method_not_allowed',
  body_too_large: 'request_too_large',
  unsupported_media_type: 'unsupported_media_type',
  rate_limited: 'rate_limit_exceeded',
  budget_exceeded: 'insufficient_quota',
  all_deployments_failed: 'all_deployments_failed',
  deadline_exceeded: 'timeout',
  stream_interrupted: 'stream_interrupted',
};

const ANTHROPIC_TYPE: Partial<Record<ErrorCode, string>> = {
  unauthorized: 'authentication_error',
  forbidden: 'permission_error',
  not_found: 'not_found_error',
  model_not_found: 'not_found_error',
  body_too_large: 'request_too_large',
  rate_limited: 'rate_limit_error',
  budget_exceeded: 'rate_limit_error',
  internal: 'api_error',
  stream_interrupted: 'api_error',
  all_deployments_failed: 'overloaded_error',
  unavailable: 'overloaded_error',
  deadline_exceeded: 'timeout_error',
  client_closed: 'api_error',
};

/** Anthropic's error type for a status, for errors that carry no type of their own. */
const ANTHROPIC_TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

// Keel's own `x-ratelimit-*` describe the caller's virtual key, and SDKs obey `retry-after-ms` over
// `Retry-After`: an upstream's headers passed on under their own names would be read as the client's own
// limits, or would override the wait Keel chose after failing over. Prefixed, they inform without steering.
const UPSTREAM_HEADER_PREFIX = 'x-keel-upstream-';
// The KeelError may come from anywhere; a CR, LF or non-ASCII byte in a header would make Node throw
// while answering, so such a value is dropped rather than sent.
const HEADER_NAME = /^[a-z0-9-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]{1,200}$/;

function upstreamHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (HEADER_NAME.test(lower) && HEADER_VALUE.test(value)) out[UPSTREAM_HEADER_PREFIX + lower] = value;
  }
  return out;
}

/** Google's canonical status names, which Gemini clients read beside the HTTP code. */
const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function toKeelError(err: unknown): KeelError {
  if (err instanceof KeelError) return err;
  return new KeelError('internal', 'Keel hit an internal error while handling the request.', { cause: err });
}

export function errorAnswer(err: unknown, format: WireFormat, requestId: string): ErrorAnswer {
  const error = toKeelError(err);
  const headers: Record<string, string> = { ...upstreamHeaders(error.upstreamHeaders), ...error.headers };
  if (error.retryAfterS !== undefined) headers['retry-after'] = String(error.retryAfterS);
  const message = secrets.redact(error.message);
  // A provider's own type and code mean something only to clients of the same format.
  // Chat Completions and Responses share OpenAI's error vocabulary.
  const family = (f: WireFormat | undefined): WireFormat | undefined => (f === 'openai-responses' ? 'openai' : f);
  const own = error.upstreamFormat === undefined || family(error.upstreamFormat) === family(format);
  const upstreamType = own ? error.upstreamType : undefined;
  const upstreamCode = own ? error.upstreamCode : undefined;
  if (format === 'anthropic') {
    const type = upstreamType ?? ANTHROPIC_TYPE[error.code] ?? ANTHROPIC_TYPE_BY_STATUS[error.status] ?? 'invalid_request_error';
    const inner: Record<string, unknown> = { type, message };
    // Keel's own code where the Anthropic SDK reads `errorCode`; a provider's own type stands alone.
    if (upstreamType === undefined) inner['details'] = { error_code: error.code };
    if (error.attempts !== undefined) inner['attempts'] = error.attempts;
    return { status: error.status, headers, body: { type: 'error', error: inner, request_id: requestId } };
  }
  if (format === 'gemini') {
    const status = upstreamType ?? GOOGLE_STATUS[error.status] ?? (error.status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
    const inner: Record<string, unknown> = { code: error.status, message, status };
    if (error.attempts !== undefined) inner['attempts'] = error.attempts;
    return { status: error.status, headers, body: { error: inner } };
  }
  const inner: Record<string, unknown> = {
    message,
    type: upstreamType ?? OPENAI_TYPE[error.code] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error'),
    param: error.param ?? null,
    code: upstreamCode ?? OPENAI_CODE[error.code] ?? null,
  };
  if (error.attempts !== undefined) inner['attempts'] = error.attempts;
  return { status: error.status, headers, body: { error: inner } };
}
