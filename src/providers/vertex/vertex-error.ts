/**
 * Classifies Vertex AI errors. The platform's own refusals (quota, auth, unavailable, bad arguments) use
 * Google's `{error: {code, message, status}}` shape, read by the Gemini classifier; a Claude model's own
 * errors (a 529 `overloaded_error`, a too-long prompt) come through `rawPredict` in Anthropic's shape,
 * read by the Anthropic classifier. The body says which. Google's status name is kept as `providerCode`:
 * the provider's format is Claude's, and an Anthropic client must only see Anthropic's error types.
 */
import type { UpstreamFailure } from '../types.js';
import { classifyAnthropicError } from '../anthropic/anthropic-error.js';
import { classifyGeminiError } from '../gemini/gemini-error.js';

export function classifyVertexError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): UpstreamFailure {
  if (/"type"\s*:\s*"error"/.test(bodyText)) return classifyAnthropicError(status, bodyText, headers, nowMs);
  const { providerType, ...failure } = classifyGeminiError(status, bodyText, headers, nowMs);
  return providerType === undefined ? failure : { ...failure, providerCode: providerType };
}
