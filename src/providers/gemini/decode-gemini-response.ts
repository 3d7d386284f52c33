/**
 * Gemini `GenerateContentResponse` → canonical response (first candidate: Keel never asks for more).
 * Gemini reports content filtering inside a 200: a prompt blocked before any candidate, or a candidate
 * stopped by a filter before it produced anything. Both are a `content_filter` failure (status 400, the
 * reason named), as the other providers' filters are; a filter that stopped an answer part-way keeps the
 * part, with finish reason `content_filter`.
 */
import { randomBytes } from 'node:crypto';
import type { AssistantContentPart } from '../../core/chat-request.js';
import type { ChatResponse, Usage } from '../../core/chat-response.js';
import type { UpstreamFailure } from '../types.js';
import { isFilteredFinish, mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import type { GeminiResponse, GeminiUsage } from './gemini-wire.js';

/**
 * Gemini's prompt count includes cached content (as canonical `inputTokens` does) but its candidates
 * count leaves thoughts out, which canonical `outputTokens` includes (as OpenAI's completion tokens do).
 */
export function decodeGeminiUsage(usage: GeminiUsage | undefined): Usage {
  const thoughts = usage?.thoughtsTokenCount ?? 0;
  const out: Usage = {
    inputTokens: (usage?.promptTokenCount ?? 0) + (usage?.toolUsePromptTokenCount ?? 0),
    outputTokens: (usage?.candidatesTokenCount ?? 0) + thoughts,
  };
  if (usage?.cachedContentTokenCount !== undefined) out.cachedInputTokens = usage.cachedContentTokenCount;
  if (usage?.thoughtsTokenCount !== undefined) out.reasoningTokens = thoughts;
  return out;
}

/**
 * Gemini function calls carry no id (the Developer API matches results by name); canonical tool calls
 * need one that is unique across a conversation, since clients and other providers (Anthropic) match
 * results by id. A random tag per answer plus the call's position gives that.
 */
export function toolCallIds(): (providerId: string | undefined) => string {
  const tag = randomBytes(6).toString('hex');
  let n = 0;
  return (providerId) => providerId ?? `call_${n++}_${tag}`;
}

/** For an answer without a `responseId` (older API versions): canonical answers always have an id. */
export function newResponseId(): string {
  return `gemini-${randomBytes(8).toString('hex')}`;
}

export function blockedPromptFailure(body: GeminiResponse, deploymentId: string): UpstreamFailure | undefined {
  const reason = body.promptFeedback?.blockReason;
  if ((body.candidates?.length ?? 0) > 0 || reason === undefined) return undefined;
  const detail = body.promptFeedback?.blockReasonMessage === undefined ? '' : `: ${body.promptFeedback.blockReasonMessage}`;
  return { outcome: 'content_filter', status: 400, providerType: reason, message: `Gemini deployment ${deploymentId} blocked the prompt (blockReason ${reason})${detail}` };
}

export function blockedAnswerFailure(finishReason: string, deploymentId: string): UpstreamFailure {
  return { outcome: 'content_filter', status: 400, providerType: finishReason, message: `Gemini deployment ${deploymentId} blocked the answer (finishReason ${finishReason})` };
}

export type DecodeResult = { ok: true; response: ChatResponse } | { ok: false; failure: UpstreamFailure };

export function decodeGeminiResponse(body: GeminiResponse, deployment: { id: string; model: string }, nowS: number): DecodeResult {
  const blocked = blockedPromptFailure(body, deployment.id);
  if (blocked !== undefined) return { ok: false, failure: blocked };
  const candidate = body.candidates?.[0];
  const content: AssistantContentPart[] = [];
  let thinking: { type: 'thinking'; text: string } | undefined;
  let text: { type: 'text'; text: string } | undefined;
  const idFor = toolCallIds();
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall !== undefined) {
      content.push({ type: 'tool_call', id: idFor(part.functionCall.id), name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) });
    } else if (part.text !== undefined && part.text !== '') {
      if (part.thought === true) {
        if (thinking === undefined) content.push((thinking = { type: 'thinking', text: '' }));
        thinking.text += part.text;
      } else {
        if (text === undefined) content.push((text = { type: 'text', text: '' }));
        text.text += part.text;
      }
    }
  }
  const finishReason = candidate?.finishReason;
  if (content.length === 0 && isFilteredFinish(finishReason)) return { ok: false, failure: blockedAnswerFailure(finishReason!, deployment.id) };
  return {
    ok: true,
    response: {
      id: body.responseId ?? newResponseId(),
      model: body.modelVersion ?? deployment.model,
      created: nowS,
      content,
      finishReason: mapGeminiFinishReason(finishReason, content.some((p) => p.type === 'tool_call')),
      usage: decodeGeminiUsage(body.usageMetadata),
    },
  };
}
