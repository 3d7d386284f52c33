/**
 * Classifies an OpenAI-format error answer (status + body + headers) into an Outcome. The error `code`
 * and `type` refine what the status says: a 400 may be a context-length or content-policy refusal, a 429
 * may be an exhausted quota rather than a rate limit.
 */
import type { UpstreamFailure } from '../types.js';
import { parseRetryAfterMs } from '../retry-after.js';
import { safeMessage } from '../http/upstream-request.js';
import { openaiErrorBody } from './openai-wire.js';

const CONTEXT_LENGTH = /context[_ ]length|maximum context|too many tokens|prompt is too long|input.*too long/i;

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
  const failure: UpstreamFailure = { outcome: outcomeFor(status, code, type, message), message: safeMessage(message), status };
  const retryAfterMs = parseRetryAfterMs(headers, nowMs);
  if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  if (type !== undefined) failure.providerType = type;
  if (code !== undefined) failure.providerCode = code;
  if (param !== undefined) failure.param = param;
  return failure;
}

function outcomeFor(status: number, code: string | undefined, type: string | undefined, message: string): UpstreamFailure['outcome'] {
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
