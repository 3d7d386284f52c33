/**
 * The Anthropic Messages wire format, as schemas: the `message` answer, the named stream events and the
 * error body. Objects are loose: Anthropic adds block and usage fields often (citations, server tools,
 * service tiers), and what Keel does not model must not make a valid answer look broken.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();

export const anthropicUsage = z.looseObject({
  input_tokens: count.nullish(),
  output_tokens: count.nullish(),
  cache_creation_input_tokens: count.nullish(),
  cache_read_input_tokens: count.nullish(),
});
export type AnthropicUsage = z.infer<typeof anthropicUsage>;

/**
 * A content block of an answer. One loose object checked by `type` for the kinds Keel decodes; other
 * kinds (server_tool_use, web_search_tool_result, ...) are kept as they are and skipped by the decoder.
 */
export const anthropicContentBlock = z.looseObject({ type: z.string() }).superRefine((block, ctx) => {
  const need = (field: string, kind: 'string' | 'object'): void => {
    const value = block[field];
    const ok = kind === 'string' ? typeof value === 'string' : value !== null && typeof value === 'object' && !Array.isArray(value);
    if (!ok) ctx.addIssue({ code: 'custom', path: [field], message: `expected ${kind === 'string' ? 'a string' : 'an object'}` });
  };
  switch (block.type) {
    case 'text':
      need('text', 'string');
      break;
    case 'thinking':
      need('thinking', 'string');
      break;
    case 'redacted_thinking':
      need('data', 'string');
      break;
    case 'tool_use':
      need('id', 'string');
      need('name', 'string');
      need('input', 'object');
      break;
  }
});
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlock> & {
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
};

export const anthropicMessage = z.looseObject({
  id: z.string(),
  type: z.literal('message').optional(),
  role: z.literal('assistant').optional(),
  model: z.string(),
  content: z.array(anthropicContentBlock),
  stop_reason: z.string().nullish(),
  stop_sequence: z.string().nullish(),
  usage: anthropicUsage.nullish(),
});
export type AnthropicMessage = z.infer<typeof anthropicMessage>;

export const anthropicErrorBody = z.looseObject({
  type: z.string().optional(),
  error: z.looseObject({ type: z.string().nullish(), message: z.string().nullish() }),
});

/**
 * A `content_block_delta` payload, checked by `type` for the kinds Keel decodes; unknown kinds (a delta
 * type added after this was written) pass, so pass-through still forwards them.
 */
const DELTA_FIELD: Record<string, string> = {
  text_delta: 'text',
  input_json_delta: 'partial_json',
  thinking_delta: 'thinking',
  signature_delta: 'signature',
};
export const anthropicBlockDelta = z.looseObject({ type: z.string() }).superRefine((delta, ctx) => {
  const field = DELTA_FIELD[delta.type];
  if (field !== undefined && typeof delta[field] !== 'string') ctx.addIssue({ code: 'custom', path: [field], message: 'expected a string' });
});

/** Stream events, by the `type` in their data (the `event:` line repeats it). */
export const anthropicStreamEvent = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('message_start'),
    message: z.looseObject({ id: z.string(), model: z.string(), usage: anthropicUsage.nullish() }),
  }),
  z.looseObject({ type: z.literal('content_block_start'), index: count, content_block: anthropicContentBlock }),
  z.looseObject({
    type: z.literal('content_block_delta'),
    index: count,
    delta: anthropicBlockDelta,
  }),
  z.looseObject({ type: z.literal('content_block_stop'), index: count }),
  z.looseObject({
    type: z.literal('message_delta'),
    delta: z.looseObject({ stop_reason: z.string().nullish(), stop_sequence: z.string().nullish() }),
    usage: anthropicUsage.nullish(),
  }),
  z.looseObject({ type: z.literal('message_stop') }),
  z.looseObject({ type: z.literal('ping') }),
  z.looseObject({ type: z.literal('error'), error: z.looseObject({ type: z.string().nullish(), message: z.string().nullish() }) }),
]);
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEvent>;

/** The event types `anthropicStreamEvent` models; others are forwarded untouched and decoded to nothing. */
export const KNOWN_STREAM_EVENTS: ReadonlySet<string> = new Set([
  'message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error',
]);
