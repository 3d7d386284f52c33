import type { FinishReason } from '../../core/chat-response.js';

/** OpenAI finish reasons → canonical. `function_call` is the legacy name of `tool_calls`. */
export function mapOpenAIFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}
