/**
 * Canonical response → Anthropic Messages JSON, for Anthropic clients answered by a deployment of another
 * format. The stop-reason and usage mappings are shared with the stream encoder so the two never disagree.
 */
import type { AssistantContentPart } from '../../core/chat-request.js';
import type { ChatResponse, FinishReason, Usage } from '../../core/chat-response.js';

export type AnthropicStopReason = 'end_turn' | 'stop_sequence' | 'max_tokens' | 'tool_use' | 'refusal';

export function anthropicStopReason(reason: FinishReason, stopSequence: string | undefined): AnthropicStopReason {
  switch (reason) {
    case 'stop':
      return stopSequence === undefined ? 'end_turn' : 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
  }
}

/**
 * Canonical `inputTokens` counts the whole prompt, cached or not (OpenAI's `prompt_tokens`); Anthropic's
 * `input_tokens` counts only the uncached part, with cache reads and writes reported beside it.
 */
export function encodeAnthropicUsage(usage: Usage): { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number } {
  const cacheRead = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - cacheRead - cacheWrite),
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  };
}

export function anthropicMessageId(id: string): string {
  if (id === '') return `msg_keel_${Date.now().toString(36)}`;
  return id.startsWith('msg_') ? id : `msg_${id}`;
}

/**
 * A tool call's argument text → the `input` object Anthropic clients expect. Models sometimes emit
 * invalid JSON (or JSON that is not an object); the answer is still worth delivering, so such arguments
 * become `{}` rather than failing the whole response — the client's tool sees empty input and can refuse.
 */
export function toolInput(argumentsJson: string): Record<string, unknown> {
  if (argumentsJson.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(argumentsJson);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function encodeBlock(part: AssistantContentPart): Record<string, unknown> | undefined {
  switch (part.type) {
    case 'text':
      return part.text === '' ? undefined : { type: 'text', text: part.text };
    case 'thinking':
      if (part.redactedData !== undefined) return { type: 'redacted_thinking', data: part.redactedData };
      return { type: 'thinking', thinking: part.text, signature: part.signature ?? '' };
    case 'tool_call':
      return { type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.arguments) };
  }
}

export function encodeAnthropicResponse(response: ChatResponse): Record<string, unknown> {
  return {
    id: anthropicMessageId(response.id),
    type: 'message',
    role: 'assistant',
    model: response.model,
    content: response.content.map(encodeBlock).filter((b) => b !== undefined),
    stop_reason: anthropicStopReason(response.finishReason, response.stopSequence),
    stop_sequence: response.stopSequence ?? null,
    usage: encodeAnthropicUsage(response.usage),
  };
}
