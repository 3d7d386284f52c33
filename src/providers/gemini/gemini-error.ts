/**
 * Classifies a Gemini error (status + `{error: {code, message, status, details}}` + headers, or the same
 * object sent mid-stream) into an Outcome. The google.rpc status name is more precise than the HTTP code,
 * and three Gemini habits need care: an invalid API key is a 400 INVALID_ARGUMENT (its ErrorInfo reason
 * says API_KEY_INVALID); the wait a 429 asks for is in a RetryInfo detail (`"retryDelay": "3s"`) rather
 * than, or as well as, a `retry-after` header; and RESOURCE_EXHAUSTED means both a per-minute rate limit
 * (a blip) and a per-day quota used up (hours), told apart only by the QuotaFailure detail's quota id.
 */
import { z } from 'zod';
import type { FailureOutcome, UpstreamFailure } from '../types.js';
import { addRateLimitSignals } from '../retry-after.js';
import { safeMessage } from '../http/upstream-request.js';
import { geminiErrorBody, type GeminiErrorBody } from './gemini-wire.js';

const CONTEXT_LENGTH = /input token count.*exceeds the maximum|exceeds the maximum number of tokens|too many tokens|context (window|length)/i;
const BAD_KEY = /API key (not valid|expired|invalid)/i;
const MAX_RETRY_DELAY_MS = 24 * 60 * 60 * 1000; // as retry-after.ts: a broken value must not park a request for a day
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

type GeminiError = GeminiErrorBody['error'];

const QUOTA_FAILURE = 'type.googleapis.com/google.rpc.QuotaFailure';
const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
// A quota that refills over a day, by its id or metric: `GenerateRequestsPerDayPerProjectPerModel(-FreeTier)`
// (Gemini API, ai.google.dev/gemini-api/docs/rate-limits: RPD resets at midnight Pacific),
// `generativelanguage.googleapis.com/generate_requests_per_model_per_day`, Vertex's
// `aiplatform.googleapis.com/..._per_day_...`, Code Assist's "… Requests per day per user per tier". The
// per-minute ids (`GenerateContentInputTokensPerModelPerMinute-FreeTier`) are blips and do not match.
const PER_DAY = /per_?day|daily/i;
// Vertex names the quota only in the message: "Quota exceeded for aiplatform.googleapis.com/<metric> …".
const QUOTA_IN_MESSAGE = /quota exceeded for (?:quota metric |metric: )?'?\S*per_day|limit '[^']*per day/i;

/** The details that name a quota: QuotaFailure violations and ErrorInfo metadata, read loosely. */
const quotaFailure = z.looseObject({
  '@type': z.literal(QUOTA_FAILURE),
  violations: z.array(z.looseObject({ quotaId: z.string().optional(), quotaMetric: z.string().optional() })).optional(),
});
const errorInfo = z.looseObject({
  '@type': z.literal(ERROR_INFO),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** RESOURCE_EXHAUSTED on a per-day quota: it will not clear for hours, whatever RetryInfo says (often "28s"). */
export function isGeminiQuotaExhausted(error: GeminiError, outcome: FailureOutcome): boolean {
  if (outcome !== 'rate_limited') return false;
  for (const detail of error.details ?? []) {
    const failure = quotaFailure.safeParse(detail);
    if (failure.success && (failure.data.violations ?? []).some((v) => PER_DAY.test(v.quotaId ?? '') || PER_DAY.test(v.quotaMetric ?? ''))) return true;
    const info = errorInfo.safeParse(detail);
    if (info.success && ['quota_limit', 'quota_metric'].some((key) => PER_DAY.test(String(info.data.metadata?.[key] ?? '')))) return true;
  }
  return QUOTA_IN_MESSAGE.test(error.message ?? '');
}

export function geminiOutcome(error: GeminiError, httpStatus: number | undefined): FailureOutcome {
  const message = error.message ?? '';
  const badKey = BAD_KEY.test(message) || (error.details ?? []).some((d) => d.reason === 'API_KEY_INVALID');
  switch (error.status) {
    case 'RESOURCE_EXHAUSTED':
      return 'rate_limited';
    case 'UNAVAILABLE':
      return 'overloaded';
    case 'INTERNAL':
    case 'UNKNOWN':
      return 'server_error';
    case 'DEADLINE_EXCEEDED':
      return 'timeout';
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
      return 'auth';
    case 'NOT_FOUND':
      return 'bad_request';
    case 'INVALID_ARGUMENT':
    case 'FAILED_PRECONDITION':
    case 'OUT_OF_RANGE':
      if (badKey) return 'auth';
      return CONTEXT_LENGTH.test(message) ? 'context_length' : 'bad_request';
  }
  const status = httpStatus ?? error.code;
  if (status === undefined) return 'server_error'; // an unnamed error mid-stream: the provider broke
  if (status === 429) return 'rate_limited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 401 || status === 403 || badKey) return 'auth';
  if (status >= 500) return 'server_error';
  if (status === 400 && CONTEXT_LENGTH.test(message)) return 'context_length';
  return 'bad_request';
}

/** `"3s"`, `"0.5s"`: a google.protobuf.Duration in its JSON form. */
export function retryDelayMs(error: GeminiError): number | undefined {
  for (const detail of error.details ?? []) {
    if (detail['@type'] !== RETRY_INFO || detail.retryDelay === undefined) continue;
    const match = /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay.trim());
    if (match !== null) return Math.min(Math.round(Number(match[1]) * 1000), MAX_RETRY_DELAY_MS);
  }
  return undefined;
}

/** The error object of a body; a streamGenerateContent without alt=sse wraps it in an array. */
export function readGeminiError(json: unknown): GeminiError | undefined {
  const parsed = geminiErrorBody.safeParse(Array.isArray(json) ? json[0] : json);
  return parsed.success ? parsed.data.error : undefined;
}

function failureOf(error: GeminiError, httpStatus: number | undefined): UpstreamFailure {
  const outcome = geminiOutcome(error, httpStatus);
  const failure: UpstreamFailure = {
    outcome,
    message: safeMessage(error.message ?? (httpStatus === undefined ? 'the provider sent an error mid-stream' : `provider answered HTTP ${httpStatus}`)),
  };
  if (isGeminiQuotaExhausted(error, outcome)) failure.quotaExhausted = true;
  if (httpStatus !== undefined) failure.status = httpStatus;
  if (error.status !== undefined) failure.providerType = error.status;
  if (error.code !== undefined) failure.providerCode = String(error.code);
  const delayMs = retryDelayMs(error);
  if (delayMs !== undefined) failure.retryAfterMs = delayMs;
  return failure;
}

export function classifyGeminiError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): UpstreamFailure {
  let error: GeminiError | undefined;
  try {
    error = readGeminiError(JSON.parse(bodyText));
  } catch {
    // not JSON: a proxy's HTML page, kept as text below
  }
  const text = bodyText.trim();
  const failure = failureOf(error ?? { message: text === '' ? `provider answered HTTP ${status}` : `provider answered HTTP ${status}: ${text}` }, status);
  // RetryInfo is the API's own word (set above); the header is what a proxy in front of it may add.
  return addRateLimitSignals(failure, headers, nowMs);
}

/** An `{error}` object sent as a stream event after a 200. */
export function classifyGeminiStreamError(error: GeminiError): UpstreamFailure {
  return failureOf(error, undefined);
}
