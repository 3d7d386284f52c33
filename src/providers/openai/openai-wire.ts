/**
 * The OpenAI Chat Completions wire format, as schemas. Objects are loose: OpenAI adds fields often, and
 * OpenAI-compatible servers (vLLM, Ollama, LiteLLM) add their own; what Keel does not model is kept, not
 * rejected. Used to validate client requests (api/) and to decode upstream answers (providers/).
 */
import { z } from 'zod';

/**
 * A content part. One loose object checked by its `type`, rather than a union, so a broken part gets an
 * error naming the exact field (`content[0].text: expected a string`) instead of "no union member matched".
 * Parts other than text and images (audio, files) are kept for pass-through.
 */
export const openaiContentPart = z
  .looseObject({ type: z.string() })
  .superRefine((part, ctx) => {
    if (part.type === 'text' && typeof part['text'] !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'expected a string' });
    }
    if (part.type === 'image_url') {
      const image = part['image_url'] as { url?: unknown; detail?: unknown } | undefined;
      if (image === null || typeof image !== 'object' || typeof image.url !== 'string' || image.url === '') {
        ctx.addIssue({ code: 'custom', path: ['image_url', 'url'], message: 'expected a non-empty URL string' });
      } else if (image.detail !== undefined && !['auto', 'low', 'high'].includes(image.detail as string)) {
        ctx.addIssue({ code: 'custom', path: ['image_url', 'detail'], message: "expected 'auto', 'low' or 'high'" });
      }
    }
  });
export type OpenAIContentPart = z.infer<typeof openaiContentPart> & { text?: string; image_url?: { url: string; detail?: string } };

const textContent = z.union([z.string(), z.array(openaiContentPart)]);

export const openaiToolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

export const openaiMessage = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: textContent, name: z.string().optional() }),
  z.looseObject({ role: z.literal('developer'), content: textContent, name: z.string().optional() }),
  z.looseObject({ role: z.literal('user'), content: textContent, name: z.string().optional() }),
  z.looseObject({
    role: z.literal('assistant'),
    content: z.union([textContent, z.null()]).optional(),
    tool_calls: z.array(openaiToolCall).optional(),
    refusal: z.string().nullish(),
    name: z.string().optional(),
    /** DeepSeek / vLLM reasoning text on OpenAI-compatible servers. */
    reasoning_content: z.string().nullish(),
  }),
  z.looseObject({ role: z.literal('tool'), content: textContent, tool_call_id: z.string() }),
  z.looseObject({ role: z.literal('function'), content: z.string().nullable(), name: z.string() }),
]);

export const openaiTool = z.union([
  z.looseObject({
    type: z.literal('function'),
    function: z.looseObject({
      name: z.string().min(1),
      description: z.string().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
  z.looseObject({ type: z.string().refine((t) => t !== 'function') }),
]);

export const openaiToolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
]);

export const openaiResponseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

const positiveInt = z.number().int().positive();

export const openaiChatRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(openaiMessage).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  seed: z.number().int().nullish(),
  user: z.string().optional(),
  tools: z.array(openaiTool).optional(),
  tool_choice: openaiToolChoice.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: openaiResponseFormat.optional(),
  reasoning_effort: z.string().nullish(),
});
export type OpenAIChatRequest = z.infer<typeof openaiChatRequest>;

const usage = z.looseObject({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative().optional(),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().int().nonnegative().optional() }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().int().nonnegative().optional() }).nullish(),
});
export type OpenAIUsage = z.infer<typeof usage>;

/** The shape of a chat completion; answers are checked by `readOpenAIChatResponse` (openai-wire-check.ts), held to this by a test. */
export const openaiChatResponse = z.looseObject({
  id: z.string(),
  model: z.string(),
  created: z.number().optional(),
  choices: z
    .array(
      z.looseObject({
        index: z.number().int().optional(),
        message: z.looseObject({
          role: z.string().optional(),
          content: z.string().nullish(),
          tool_calls: z.array(openaiToolCall).nullish(),
          refusal: z.string().nullish(),
          reasoning_content: z.string().nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usage.nullish(),
});
export type OpenAIChatResponse = z.infer<typeof openaiChatResponse>;

/** The shape of a stream chunk; chunks are checked by `readOpenAIChunk` (openai-wire-check.ts), held to this by a test. */
export const openaiChunk = z.looseObject({
  id: z.string().optional(),
  model: z.string().optional(),
  created: z.number().optional(),
  choices: z.array(
    z.looseObject({
      index: z.number().int().default(0),
      delta: z
        .looseObject({
          role: z.string().nullish(),
          content: z.string().nullish(),
          reasoning_content: z.string().nullish(),
          refusal: z.string().nullish(),
          tool_calls: z
            .array(
              z.looseObject({
                index: z.number().int().default(0),
                id: z.string().nullish(),
                function: z.looseObject({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
              }),
            )
            .nullish(),
        })
        .default({}),
      finish_reason: z.string().nullish(),
    }),
  ).default([]),
  usage: usage.nullish(),
});
export type OpenAIChunk = z.infer<typeof openaiChunk>;

export const openaiErrorBody = z.looseObject({
  error: z.looseObject({
    message: z.string().nullish(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.union([z.string(), z.number()]).nullish(),
  }),
});
