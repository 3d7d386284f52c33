/**
 * Anthropic `message` answer → canonical response. Block kinds Keel does not model (server tool use and
 * results) only matter to an Anthropic client, which gets the provider's bytes through pass-through.
 */
import type { AssistantContentPart } from '../../core/chat-request.js';
import type { ChatResponse, Usage } from '../../core/chat-response.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicUsage } from './anthropic-wire.js';

/**
 * Anthropic counts cache reads and writes apart from `input_tokens`; canonical `inputTokens` is the whole
 * prompt (as OpenAI's `prompt_tokens`), with the cached and cache-written parts broken out beside it.
 */
export function decodeAnthropicUsage(usage: AnthropicUsage | null | undefined): Usage {
  const cacheRead = usage?.cache_read_input_tokens ?? 0;
  const cacheWrite = usage?.cache_creation_input_tokens ?? 0;
  const out: Usage = { inputTokens: (usage?.input_tokens ?? 0) + cacheRead + cacheWrite, outputTokens: usage?.output_tokens ?? 0 };
  if (usage?.cache_read_input_tokens != null) out.cachedInputTokens = cacheRead;
  if (usage?.cache_creation_input_tokens != null) out.cacheWriteTokens = cacheWrite;
  return out;
}

export function decodeAnthropicBlock(block: AnthropicContentBlock): AssistantContentPart | undefined {
  switch (block.type) {
    case 'text':
      return block.text === '' ? undefined : { type: 'text', text: block.text! };
    case 'tool_use':
      return { type: 'tool_call', id: block.id!, name: block.name!, arguments: JSON.stringify(block.input ?? {}) };
    case 'thinking':
      return block.signature === undefined
        ? { type: 'thinking', text: block.thinking! }
        : { type: 'thinking', text: block.thinking!, signature: block.signature };
    case 'redacted_thinking':
      return { type: 'thinking', text: '', redactedData: block.data! };
    default:
      return undefined;
  }
}

export function decodeAnthropicResponse(body: AnthropicMessage, nowS: number): ChatResponse {
  const content: AssistantContentPart[] = [];
  for (const block of body.content) {
    const part = decodeAnthropicBlock(block as AnthropicContentBlock);
    if (part !== undefined) content.push(part);
  }
  const response: ChatResponse = {
    id: body.id,
    model: body.model,
    created: nowS,
    content,
    finishReason: mapAnthropicStopReason(body.stop_reason),
    usage: decodeAnthropicUsage(body.usage),
  };
  if (body.stop_reason === 'stop_sequence' && body.stop_sequence != null) response.stopSequence = body.stop_sequence;
  return response;
}
