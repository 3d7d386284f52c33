/**
 * Classifies an OpenAI-format error answer (status + body + headers) into an Outcome. The error `code`
 * and `type` refine what the status says: a 400 may be a context-length or content-policy refusal, and a
 * 429 may be an exhausted quota rather than a rate limit — `insufficient_quota` (no credit left) or a
 * per-day limit (RPD/TPD) clears in hours, not seconds, so it is marked `quotaExhausted`.
 */
import type { FailureOutcome, UpstreamFailure } from '../types.js';
import { addRateLimitSignals } from '../retry-after.js';
import { safeMessage } from '../http/upstream-request.js';
import { openaiErrorBody } from './openai-wire.js';

const CONTEXT_LENGTH = /context[_ ]length|maximum context|too many tokens|prompt is too long|input.*too long/i;
// "Rate limit reached for gpt-4o in organization org-… on requests per day (RPD): Limit 200, Used 200,
// Requested 1. Please try again in 7m12s." OpenAI names the limit only in the message (its type is
// `requests` or `tokens`, its code `rate_limit_exceeded` whatever the period).
const PER_DAY_LIMIT = /\b(requests|tokens) per day\b|\((RPD|TPD)\)/i;

/**
 * The quota, not a rate, is used up: `insufficient_quota` is OpenAI's code and type for an account out of
 * credit or over its monthly budget (documented at platform.openai.com/docs/guides/error-codes, answered
 * with 429); a per-day limit refills over the day.
 */
export function isOpenAIQuotaExhausted(type: string | undefined, code: string | undefined, message: string): boolean {
  return code === 'insufficient_quota' || type === 'insufficient_quota' || PER_DAY_LIMIT.test(message);
}

export function classifyOpenAIError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): UpstreamFailure {
  let message = `provider answered HTTP ${status}`;
  let type: string | undefined;
  let code: string | undefined;
  let param: string | undefined;
  try {
    const parsed = openaiErrorBody.safeParse(JSON.parse(bodyText));
    if (parsed.success) {
      message = parsed.data.error.message ?? message;
      type = parsed.data.error.type ?? undefined;
      code = parsed.data.error.code == null ? undefined : String(parsed.data.error.code);
      param = parsed.data.error.param ?? undefined;
    }
  } catch {
    if (bodyText.trim() !== '') message = `${message}: ${bodyText.trim()}`;
  }
  // `insufficient_quota` is never the client's fault, whatever status an OpenAI-compatible server gives it.
  const quota = (status === 429 || code === 'insufficient_quota' || type === 'insufficient_quota') && isOpenAIQuotaExhausted(type, code, message);
  const failure: UpstreamFailure = { outcome: quota ? 'rate_limited' : outcomeFor(status, code, type, message), message: safeMessage(message), status };
  if (quota) failure.quotaExhausted = true;
  if (type !== undefined) failure.providerType = type;
  if (code !== undefined) failure.providerCode = code;
  if (param !== undefined) failure.param = param;
  return addRateLimitSignals(failure, headers, nowMs);
}

function outcomeFor(status: number, code: string | undefined, type: string | undefined, message: string): FailureOutcome {
  if (code === 'context_length_exceeded' || code === 'string_above_max_length') return 'context_length';
  if (code === 'content_policy_violation' || code === 'content_filter' || type === 'content_filter') return 'content_filter';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server_error';
  if ((status === 400 || status === 413) && CONTEXT_LENGTH.test(message)) return 'context_length';
  return 'bad_request';
}
