/**
 * Classifies Bedrock Runtime errors. Bedrock names every error by type: over HTTP in the
 * `x-amzn-errortype` header (`ThrottlingException:http://internal.amazon.com/...`) with a body of
 * `{"message": ...}` (older front ends put the type in the body's `__type`), and inside a response
 * stream as an exception message whose `:exception-type` is the same name in camelCase
 * (`throttlingException`). The type decides the outcome; the status only when the type is unknown. It is
 * kept as `providerCode`, not `providerType`: Bedrock speaks Anthropic's format, and an Anthropic client
 * must only ever see Anthropic's error types.
 */
import { z } from 'zod';
import type { FailureOutcome, UpstreamFailure } from '../types.js';
import { parseRetryAfterMs } from '../retry-after.js';
import { safeMessage } from '../http/upstream-request.js';

const bedrockErrorBody = z.looseObject({ message: z.string().nullish(), Message: z.string().nullish(), __type: z.string().nullish() });

const CONTEXT_LENGTH = /input is too long|too many (input )?tokens|prompt is too long|context (window|length)|maximum context/i;

const OUTCOME_BY_TYPE: Record<string, FailureOutcome> = {
  ThrottlingException: 'rate_limited',
  ServiceQuotaExceededException: 'rate_limited',
  ServiceUnavailableException: 'overloaded',
  // The model is being loaded; AWS's own SDK retries this one, so it is worth a retry here too.
  ModelNotReadyException: 'overloaded',
  ModelTimeoutException: 'timeout',
  InternalServerException: 'server_error',
  ModelErrorException: 'server_error',
  ModelStreamErrorException: 'server_error',
  AccessDeniedException: 'auth',
  UnrecognizedClientException: 'auth',
  InvalidSignatureException: 'auth',
  ExpiredTokenException: 'auth',
  IncompleteSignatureException: 'auth',
  MissingAuthenticationTokenException: 'auth',
  ResourceNotFoundException: 'bad_request',
  ConflictException: 'bad_request',
};

/** `ThrottlingException:http://internal...` or `com.amazon.coral#ThrottlingException` → `ThrottlingException`. */
export function bedrockErrorType(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const name = raw.split(':')[0]!.split('#').at(-1)!.trim();
  return name === '' ? undefined : name.charAt(0).toUpperCase() + name.slice(1);
}

export function bedrockOutcome(type: string | undefined, status: number | undefined, message: string): FailureOutcome {
  if (type === 'ValidationException') return CONTEXT_LENGTH.test(message) ? 'context_length' : 'bad_request';
  const known = type === undefined ? undefined : OUTCOME_BY_TYPE[type];
  if (known !== undefined) return known;
  if (status === undefined) return 'server_error';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 401 || status === 403) return 'auth';
  if (status >= 500) return 'server_error';
  return CONTEXT_LENGTH.test(message) ? 'context_length' : 'bad_request';
}

function readMessage(bodyText: string): { message?: string; type?: string } {
  try {
    const parsed = bedrockErrorBody.safeParse(JSON.parse(bodyText));
    if (!parsed.success) return {};
    const message = parsed.data.message ?? parsed.data.Message ?? undefined;
    const type = parsed.data.__type ?? undefined;
    return { ...(message === undefined ? {} : { message }), ...(type === undefined ? {} : { type }) };
  } catch {
    return {};
  }
}

export function classifyBedrockError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): UpstreamFailure {
  const read = readMessage(bodyText);
  const headerType = headers['x-amzn-errortype'];
  const type = bedrockErrorType(Array.isArray(headerType) ? headerType[0] : headerType) ?? bedrockErrorType(read.type);
  const message = read.message ?? (bodyText.trim() === '' ? `provider answered HTTP ${status}` : `provider answered HTTP ${status}: ${bodyText.trim()}`);
  const failure: UpstreamFailure = { outcome: bedrockOutcome(type, status, message), message: safeMessage(message), status };
  const retryAfterMs = parseRetryAfterMs(headers, nowMs);
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  if (type !== undefined) failure.providerCode = type;
  return failure;
}

/** An exception message inside a response stream (`:message-type: exception`). */
export function classifyBedrockStreamException(exceptionType: string | undefined, payload: string): UpstreamFailure {
  const type = bedrockErrorType(exceptionType);
  const message = readMessage(payload).message ?? `the provider sent ${type ?? 'an exception'} mid-stream`;
  const failure: UpstreamFailure = { outcome: bedrockOutcome(type, undefined, message), message: safeMessage(message) };
  if (type !== undefined) failure.providerCode = type;
  return failure;
}
