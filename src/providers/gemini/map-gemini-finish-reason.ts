import type { FinishReason } from '../../core/chat-response.js';

/** Finish reasons that mean a safety or policy filter stopped the answer. */
const FILTERED: ReadonlySet<string> = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION',
]);

export function isFilteredFinish(reason: string | undefined): boolean {
  return reason !== undefined && FILTERED.has(reason);
}

/**
 * Gemini finish reasons → canonical. Gemini has no tool-calls reason: a turn that produced function calls
 * ends with STOP, so the caller says whether it saw any. Reasons that are neither a limit nor a filter
 * (LANGUAGE, OTHER, MALFORMED_FUNCTION_CALL, ...) end the answer as it is: a stop.
 */
export function mapGeminiFinishReason(reason: string | undefined, sawToolCalls: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (isFilteredFinish(reason)) return 'content_filter';
  return sawToolCalls ? 'tool_calls' : 'stop';
}
