/**
 * Canonical response → OpenAI Chat Completions JSON, for OpenAI clients answered by a deployment of
 * another format.
 */
import type { ChatResponse, FinishReason, Usage } from '../../core/chat-response.js';

export function openaiFinishReason(reason: FinishReason): string {
  return reason; // the canonical names are OpenAI's
}

export function encodeOpenAIUsage(usage: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
  };
  if (usage.reasoningTokens !== undefined) out['completion_tokens_details'] = { reasoning_tokens: usage.reasoningTokens };
  return out;
}

export function encodeOpenAIResponse(response: ChatResponse): Record<string, unknown> {
  const text = response.content.filter((p) => p.type === 'text').map((p) => p.text).join('');
  const toolCalls = response.content
    .filter((p) => p.type === 'tool_call')
    .map((p) => ({ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } }));
  const message: Record<string, unknown> = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, refusal: null };
  if (toolCalls.length > 0) message['tool_calls'] = toolCalls;
  const reasoning = response.content.filter((p) => p.type === 'thinking').map((p) => p.text).join('');
  if (reasoning !== '') message['reasoning_content'] = reasoning;
  return {
    id: response.id.startsWith('chatcmpl-') ? response.id : `chatcmpl-${response.id}`,
    object: 'chat.completion',
    created: response.created,
    model: response.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: openaiFinishReason(response.finishReason) }],
    usage: encodeOpenAIUsage(response.usage),
  };
}
