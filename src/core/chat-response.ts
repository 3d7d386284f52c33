/**
 * The canonical response and stream events. A provider decodes its upstream answer into these; a client
 * surface encodes them into its own format. Content block indices in events are positions in the
 * response's `content` array, whatever the provider numbered them.
 */
import type { AssistantContentPart } from './chat-request.js';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * Keel's rule of thumb where it must estimate tokens (a key's admission, a stream left before its usage
 * came): about 4 bytes, or characters, of English text or JSON per token.
 */
export const estimatedTokens = (length: number): number => Math.ceil(length / 4);

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache. */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic). */
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

export interface ChatResponse {
  id: string;
  /** The model that actually answered, as the provider named it. */
  model: string;
  /** Unix seconds. */
  created: number;
  content: AssistantContentPart[];
  finishReason: FinishReason;
  /** The stop sequence that ended the answer, when one did. */
  stopSequence?: string;
  usage: Usage;
}

export type StreamEvent =
  | { type: 'start'; id: string; model: string; created: number }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'thinking_delta'; index: number; text: string }
  | { type: 'thinking_signature'; index: number; signature: string }
  | { type: 'tool_call_start'; index: number; id: string; name: string }
  | { type: 'tool_call_delta'; index: number; argumentsDelta: string }
  | { type: 'finish'; finishReason: FinishReason; stopSequence?: string }
  | { type: 'usage'; usage: Usage };

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0 };
}
