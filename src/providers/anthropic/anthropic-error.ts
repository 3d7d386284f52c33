/**
 * Classifies an Anthropic error (status + body + headers, or an in-stream `error` event) into an Outcome.
 * Anthropic names every error with a `type`, which is more precise than the status: a 529 and an
 * in-stream `overloaded_error` are the same condition, and a 400 may be a context-length refusal
 * (`prompt is too long`). The type is kept as `providerType` so a client sees the original reason. An
 * account out of credit or over a spend limit is a quota used up for hours, not a client error or a
 * blip: it is a `rate_limited` failure marked `quotaExhausted`, whatever status Anthropic gave it.
 */
import { z } from 'zod';
import type { FailureOutcome, UpstreamFailure } from '../types.js';
import { addRateLimitSignals } from '../retry-after.js';
import { safeMessage } from '../http/upstream-request.js';
import { anthropicErrorBody } from './anthropic-wire.js';

const CONTEXT_LENGTH = /prompt is too long|context window|too many (input )?tokens|context length/i;
const CONTENT_FILTER = /content filtering policy|blocked by content filter/i;

// Where Anthropic says the account, not the request, is the problem. Sources: the error codes in
// `error.details.error_code` are those of @anthropic-ai/sdk 1.12 (resources/shared.d.ts:
// ContractSpendLimitReachedError and EnforcedSpendLimitReachedError are 429 rate-limit errors — "the
// organization has crossed the monthly API usage threshold of its API tier", no retry-after — and
// LinkedOrganizationSpendLimitReachedError a 402); `billing_error` is the 402 type of
// docs.anthropic.com/en/api/errors; the two messages are 400 `invalid_request_error`s seen in the wild
// ("Your credit balance is too low to access the Anthropic API…", anthropics/claude-code#4684) and
// documented for a spend limit the organization set ("You have reached your specified API usage limits").
// `ramp_limit_exceeded` is not here: it asks for a retry after its retry-after, a real rate limit.
// A `permission_error` is not a quota by its type (the key may not use the resource, which no wait fixes),
// only when its message says the credit or spend limit is the reason.
const QUOTA_ERROR_CODES: ReadonlySet<string> = new Set(['enforced_spend_limit_reached', 'contract_spend_limit_reached', 'linked_organization_spend_limit_reached']);
const QUOTA_MESSAGE = /credit balance is too low|reached your specified (workspace )?API usage limits/i;

/** `error.details.error_code`, the SDK's `errorCode`, when the body has one. */
const anthropicErrorDetails = z.looseObject({
  error: z.looseObject({ details: z.looseObject({ error_code: z.string().optional() }).nullish() }),
});

export function isAnthropicQuotaExhausted(type: string | undefined, errorCode: string | undefined, message: string): boolean {
  if (errorCode !== undefined && QUOTA_ERROR_CODES.has(errorCode)) return true;
  if (type === 'billing_error') return true;
  return (type === undefined || type === 'invalid_request_error' || type === 'permission_error') && QUOTA_MESSAGE.test(message);
}

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

/**
 * Reads `{type: "error", error: {type, message, details?: {error_code}}}`; anything else (an HTML page
 * from a proxy) is kept as text.
 */
export function readAnthropicError(bodyText: string, fallback: string): { type?: string; errorCode?: string; message: string } {
  try {
    const json: unknown = JSON.parse(bodyText);
    const parsed = anthropicErrorBody.safeParse(json);
    if (parsed.success) {
      const { type, message } = parsed.data.error;
      const out: { type?: string; errorCode?: string; message: string } = { message: message ?? fallback };
      if (type != null) out.type = type;
      const details = anthropicErrorDetails.safeParse(json);
      const errorCode = details.success ? details.data.error.details?.error_code : undefined;
      if (errorCode !== undefined) out.errorCode = errorCode;
      return out;
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
  const { type, errorCode, message } = readAnthropicError(bodyText, `provider answered HTTP ${status}`);
  const quota = isAnthropicQuotaExhausted(type, errorCode, message);
  const failure: UpstreamFailure = { outcome: quota ? 'rate_limited' : anthropicOutcome(type, status, message), message: safeMessage(message), status };
  if (quota) failure.quotaExhausted = true;
  if (type !== undefined) failure.providerType = type;
  if (errorCode !== undefined) failure.providerCode = errorCode;
  return addRateLimitSignals(failure, headers, nowMs);
}

/** An `event: error` in a stream that had started with a 200. */
export function classifyAnthropicStreamError(error: { type?: string | null | undefined; message?: string | null | undefined }): UpstreamFailure {
  const message = error.message ?? 'the provider sent an error mid-stream';
  const quota = isAnthropicQuotaExhausted(error.type ?? undefined, undefined, message);
  const failure: UpstreamFailure = { outcome: quota ? 'rate_limited' : anthropicOutcome(error.type ?? undefined, undefined, message), message: safeMessage(message) };
  if (quota) failure.quotaExhausted = true;
  if (error.type != null) failure.providerType = error.type;
  return failure;
}
