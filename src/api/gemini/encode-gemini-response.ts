/**
 * Canonical answer → Gemini `GenerateContentResponse`, for Gemini clients answered by a deployment of
 * another format: one candidate whose `model` content holds text, thought and `functionCall` parts, a
 * finish reason in Gemini's words (a tool call ends with STOP, as Gemini reports it), and the token
 * counts in `usageMetadata`. The stream encoder sends the same shape in pieces.
 */
import type { AssistantContentPart } from '../../core/chat-request.js';
import type { ChatResponse, FinishReason, Usage } from '../../core/chat-response.js';

type Json = Record<string, unknown>;

export function geminiFinishReason(reason: FinishReason): string {
  if (reason === 'length') return 'MAX_TOKENS';
  if (reason === 'content_filter') return 'SAFETY';
  return 'STOP';
}

export function encodeGeminiUsage(usage: Usage): Json {
  const out: Json = { promptTokenCount: usage.inputTokens, candidatesTokenCount: usage.outputTokens, totalTokenCount: usage.inputTokens + usage.outputTokens };
  if (usage.cachedInputTokens !== undefined) out['cachedContentTokenCount'] = usage.cachedInputTokens;
  if (usage.reasoningTokens !== undefined) out['thoughtsTokenCount'] = usage.reasoningTokens;
  return out;
}

/** A function call's arguments as the JSON object Gemini sends; text a model produced may not be one. */
export function callArgs(text: string): Json {
  try {
    const parsed: unknown = JSON.parse(text === '' ? '{}' : text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : { value: parsed };
  } catch {
    return { arguments: text };
  }
}

export function geminiParts(content: AssistantContentPart[]): Json[] {
  return content.flatMap((part): Json[] => {
    if (part.type === 'text') return part.text === '' ? [] : [{ text: part.text }];
    if (part.type === 'tool_call') return [{ functionCall: { id: part.id, name: part.name, args: callArgs(part.arguments) } }];
    return part.redactedData === undefined ? [{ text: part.text, thought: true }] : [];
  });
}

export function encodeGeminiResponse(response: ChatResponse): Json {
  return {
    candidates: [{ content: { role: 'model', parts: geminiParts(response.content) }, finishReason: geminiFinishReason(response.finishReason), index: 0 }],
    usageMetadata: encodeGeminiUsage(response.usage),
    modelVersion: response.model,
    responseId: response.id,
  };
}
