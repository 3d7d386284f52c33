/**
 * OpenAI Chat Completions JSON answer → canonical response (first choice; `n > 1` only survives
 * pass-through, where the client gets the provider's bytes).
 */
import type { AssistantContentPart } from '../../core/chat-request.js';
import type { ChatResponse, Usage } from '../../core/chat-response.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import type { OpenAIChatResponse, OpenAIUsage } from './openai-wire.js';

export function decodeOpenAIUsage(usage: OpenAIUsage | null | undefined): Usage {
  const out: Usage = { inputTokens: usage?.prompt_tokens ?? 0, outputTokens: usage?.completion_tokens ?? 0 };
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  if (cached !== undefined) out.cachedInputTokens = cached;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  return out;
}

export function decodeOpenAIResponse(body: OpenAIChatResponse, nowS: number): ChatResponse {
  const choice = body.choices[0]!;
  const content: AssistantContentPart[] = [];
  if (choice.message.reasoning_content) content.push({ type: 'thinking', text: choice.message.reasoning_content });
  const text = choice.message.content ?? choice.message.refusal ?? '';
  if (text !== '') content.push({ type: 'text', text });
  for (const call of choice.message.tool_calls ?? []) {
    content.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: call.function.arguments });
  }
  return {
    id: body.id,
    model: body.model,
    created: body.created ?? nowS,
    content,
    finishReason: mapOpenAIFinishReason(choice.finish_reason),
    usage: decodeOpenAIUsage(body.usage),
  };
}
