/**
 * OpenAI's Responses API as an upstream format, as schemas: the `response` object and the stream events
 * Keel reads while it forwards them (text, reasoning and function-call deltas, the closing event with
 * usage, failures). Loose throughout: output items Keel does not model (web search calls, MCP...) are
 * kept in the bytes forwarded and skipped in the decoded view. Also the decoder of a whole response into
 * the canonical shape, for health, usage and the degraded-answer cache.
 */
import { z } from 'zod';
import type { AssistantContentPart } from '../../core/chat-request.js';
import type { ChatResponse, FinishReason, Usage } from '../../core/chat-response.js';

const responsesUsage = z.looseObject({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  input_tokens_details: z.looseObject({ cached_tokens: z.number().int().nonnegative().optional() }).nullish(),
  output_tokens_details: z.looseObject({ reasoning_tokens: z.number().int().nonnegative().optional() }).nullish(),
});

const textPart = z.looseObject({ type: z.string(), text: z.string().optional(), refusal: z.string().optional() });

const outputItem = z.looseObject({
  type: z.string(),
  id: z.string().optional(),
  content: z.array(textPart).nullish(),
  summary: z.array(textPart).nullish(),
  call_id: z.string().optional(),
  name: z.string().optional(),
  arguments: z.string().optional(),
});

export const openaiResponsesResponse = z.looseObject({
  id: z.string(),
  model: z.string(),
  created_at: z.number().optional(),
  status: z.string().nullish(),
  output: z.array(outputItem),
  incomplete_details: z.looseObject({ reason: z.string().nullish() }).nullish(),
  error: z.looseObject({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
  usage: responsesUsage.nullish(),
});
export type OpenAIResponsesResponse = z.infer<typeof openaiResponsesResponse>;

/** A stream event: its type, and the fields Keel reads from the ones it decodes. */
export const openaiResponsesEvent = z.looseObject({
  type: z.string(),
  sequence_number: z.number().optional(),
  output_index: z.number().int().nonnegative().optional(),
  delta: z.string().optional(),
  item: outputItem.optional(),
  response: openaiResponsesResponse.partial().optional(),
  code: z.string().nullish(),
  message: z.string().nullish(),
  error: z.looseObject({ type: z.string().nullish(), code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});
export type OpenAIResponsesEvent = z.infer<typeof openaiResponsesEvent>;

export function decodeResponsesUsage(usage: z.infer<typeof responsesUsage> | null | undefined): Usage {
  const out: Usage = { inputTokens: usage?.input_tokens ?? 0, outputTokens: usage?.output_tokens ?? 0 };
  const cached = usage?.input_tokens_details?.cached_tokens;
  if (cached !== undefined) out.cachedInputTokens = cached;
  const reasoning = usage?.output_tokens_details?.reasoning_tokens;
  if (reasoning !== undefined) out.reasoningTokens = reasoning;
  return out;
}

/** How a response ended, in canonical words. */
export function responsesFinishReason(response: Pick<OpenAIResponsesResponse, 'status' | 'incomplete_details'>, calledTools: boolean): FinishReason {
  if (response.status === 'incomplete') return response.incomplete_details?.reason === 'content_filter' ? 'content_filter' : 'length';
  return calledTools ? 'tool_calls' : 'stop';
}

export function decodeOpenAIResponsesResponse(body: OpenAIResponsesResponse, nowS: number): ChatResponse {
  const content: AssistantContentPart[] = [];
  for (const item of body.output) {
    if (item.type === 'message') {
      const text = (item.content ?? []).map((p) => p.text ?? p.refusal ?? '').join('');
      if (text !== '') content.push({ type: 'text', text });
    } else if (item.type === 'function_call') {
      content.push({ type: 'tool_call', id: item.call_id ?? item.id ?? '', name: item.name ?? '', arguments: item.arguments ?? '' });
    } else if (item.type === 'reasoning') {
      const text = [...(item.content ?? []), ...(item.summary ?? [])].map((p) => p.text ?? '').join('');
      if (text !== '') content.push({ type: 'thinking', text });
    }
  }
  return {
    id: body.id,
    model: body.model,
    created: body.created_at ?? nowS,
    content,
    finishReason: responsesFinishReason(body, content.some((p) => p.type === 'tool_call')),
    usage: decodeResponsesUsage(body.usage),
  };
}
