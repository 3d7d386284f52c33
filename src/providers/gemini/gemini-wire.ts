/**
 * The Gemini `generateContent` wire format, as schemas: the `GenerateContentResponse` (a whole answer, or
 * one streamed delta of it) and the Google API error body. Objects are loose: Gemini adds response fields
 * (grounding, citations, logprobs) that Keel does not model and must not mistake for a broken answer.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();

export const geminiPart = z.looseObject({
  text: z.string().optional(),
  /** The part is a thought summary, not answer text. */
  thought: z.boolean().optional(),
  thoughtSignature: z.string().optional(),
  functionCall: z
    .looseObject({
      id: z.string().optional(),
      name: z.string(),
      args: z.record(z.string(), z.unknown()).nullish(),
    })
    .optional(),
});
export type GeminiPart = z.infer<typeof geminiPart>;

export const geminiCandidate = z.looseObject({
  content: z.looseObject({ role: z.string().optional(), parts: z.array(geminiPart).optional() }).optional(),
  finishReason: z.string().optional(),
  finishMessage: z.string().optional(),
  index: z.number().int().optional(),
});
export type GeminiCandidate = z.infer<typeof geminiCandidate>;

export const geminiUsage = z.looseObject({
  promptTokenCount: count.optional(),
  candidatesTokenCount: count.optional(),
  cachedContentTokenCount: count.optional(),
  thoughtsTokenCount: count.optional(),
  toolUsePromptTokenCount: count.optional(),
  totalTokenCount: count.optional(),
});
export type GeminiUsage = z.infer<typeof geminiUsage>;

export const geminiResponse = z.looseObject({
  candidates: z.array(geminiCandidate).optional(),
  promptFeedback: z.looseObject({ blockReason: z.string().optional(), blockReasonMessage: z.string().optional() }).optional(),
  usageMetadata: geminiUsage.optional(),
  modelVersion: z.string().optional(),
  responseId: z.string().optional(),
});
export type GeminiResponse = z.infer<typeof geminiResponse>;

/** `{error: {code, message, status, details}}`; details carry RetryInfo and ErrorInfo messages. */
export const geminiErrorBody = z.looseObject({
  error: z.looseObject({
    code: z.number().int().optional(),
    message: z.string().optional(),
    status: z.string().optional(),
    details: z
      .array(
        z.looseObject({
          '@type': z.string().optional(),
          retryDelay: z.string().optional(),
          reason: z.string().optional(),
        }),
      )
      .optional(),
  }),
});
export type GeminiErrorBody = z.infer<typeof geminiErrorBody>;
