/**
 * The Anthropic Messages request, as schemas. Objects are loose: Anthropic adds fields and block types
 * often, and what Keel does not model must still reach an Anthropic deployment through pass-through.
 * Content blocks are one loose object checked by `type` (as `openai-wire.ts` does for OpenAI parts) so a
 * broken block gets an error naming the exact field (`messages[1].content[0].tool_use_id`) instead of "no
 * union member matched"; block types Keel cannot translate are accepted here and listed by the parser.
 */
import { z } from 'zod';

type Issues = z.core.$RefinementCtx;
type Path = (string | number)[];

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An `invalid_type` issue, so a missing field reads "Missing required parameter" like zod's own. */
function requireString(block: Record<string, unknown>, field: string, ctx: Issues, path: Path): void {
  const input = block[field];
  if (typeof input !== 'string') ctx.addIssue({ code: 'invalid_type', expected: 'string', input, path: [...path, field], message: 'expected a string' });
}

function checkImage(block: Record<string, unknown>, ctx: Issues, path: Path): void {
  const source = block['source'];
  if (!isObject(source)) {
    ctx.addIssue({ code: 'custom', path: [...path, 'source'], message: 'expected an object' });
    return;
  }
  switch (source['type']) {
    case 'base64':
      requireString(source, 'media_type', ctx, [...path, 'source']);
      requireString(source, 'data', ctx, [...path, 'source']);
      return;
    case 'url':
      if (typeof source['url'] !== 'string' || source['url'] === '') {
        ctx.addIssue({ code: 'custom', path: [...path, 'source', 'url'], message: 'expected a non-empty URL string' });
      }
      return;
    case 'file':
      return; // Files API references: only an Anthropic deployment can resolve them (the parser says so).
    default:
      ctx.addIssue({ code: 'custom', path: [...path, 'source', 'type'], message: "expected 'base64', 'url' or 'file'" });
  }
}

/** Checks one content block by its type; `path` is relative to the block the refinement runs on. */
function checkBlock(block: unknown, ctx: Issues, path: Path): void {
  if (!isObject(block)) {
    ctx.addIssue({ code: 'custom', path, message: 'expected an object' });
    return;
  }
  if (typeof block['type'] !== 'string') {
    ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: 'expected a string' });
    return;
  }
  switch (block['type']) {
    case 'text':
      requireString(block, 'text', ctx, path);
      return;
    case 'image':
      checkImage(block, ctx, path);
      return;
    case 'tool_use':
      requireString(block, 'id', ctx, path);
      requireString(block, 'name', ctx, path);
      if (!isObject(block['input'])) ctx.addIssue({ code: 'custom', path: [...path, 'input'], message: 'expected an object' });
      return;
    case 'tool_result': {
      requireString(block, 'tool_use_id', ctx, path);
      const content = block['content'];
      if (Array.isArray(content)) content.forEach((inner, i) => checkBlock(inner, ctx, [...path, 'content', i]));
      else if (content !== undefined && typeof content !== 'string') {
        ctx.addIssue({ code: 'custom', path: [...path, 'content'], message: 'expected a string or an array of content blocks' });
      }
      if (block['is_error'] !== undefined && typeof block['is_error'] !== 'boolean') {
        ctx.addIssue({ code: 'custom', path: [...path, 'is_error'], message: 'expected a boolean' });
      }
      return;
    }
    case 'thinking':
      requireString(block, 'thinking', ctx, path);
      requireString(block, 'signature', ctx, path);
      return;
    case 'redacted_thinking':
      requireString(block, 'data', ctx, path);
      return;
    default:
      // document, search_result, server tool blocks…: kept for pass-through, refused by translation.
      return;
  }
}

export const anthropicContentBlock = z.looseObject({ type: z.string() }).superRefine((block, ctx) => checkBlock(block, ctx, []));

/** A block as the parser reads it, after the refinement above vouched for the fields of its type. */
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlock> & {
  text?: string;
  cache_control?: unknown;
  source?: { type: string; media_type?: string; data?: string; url?: string };
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
  tool_use_id?: string;
  content?: string | AnthropicContentBlock[];
  is_error?: boolean;
  thinking?: string;
  signature?: string;
  data?: string;
};

const blockContent = z.union([z.string(), z.array(anthropicContentBlock)]);

export const anthropicTextBlock = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: z.unknown().optional() });

export const anthropicMessage = z.looseObject({
  // `system` passes the schema so that its refusal can be Anthropic's own words (parse-anthropic-request).
  role: z.enum(['user', 'assistant', 'system']),
  content: blockContent,
});

/** A client tool (no `type`, or `custom`) needs a schema; server tools (`web_search_20250305`…) are kept. */
export const anthropicTool = z
  .looseObject({ name: z.string().min(1), type: z.string().optional() })
  .superRefine((tool, ctx) => {
    if (tool.type !== undefined && tool.type !== 'custom') return;
    if (!isObject(tool['input_schema'])) ctx.addIssue({ code: 'custom', path: ['input_schema'], message: 'expected an object' });
    if (tool['description'] !== undefined && typeof tool['description'] !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['description'], message: 'expected a string' });
    }
  });
export type AnthropicTool = z.infer<typeof anthropicTool> & { description?: string; input_schema?: Record<string, unknown>; strict?: unknown };

const parallel = { disable_parallel_tool_use: z.boolean().optional() };

export const anthropicToolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), ...parallel }),
  z.looseObject({ type: z.literal('any'), ...parallel }),
  z.looseObject({ type: z.literal('tool'), name: z.string().min(1), ...parallel }),
  z.looseObject({ type: z.literal('none') }),
]);

/** `enabled` needs a budget; newer modes (`adaptive`…) are kept and listed as untranslatable. */
export const anthropicThinking = z
  .looseObject({ type: z.string() })
  .superRefine((thinking, ctx) => {
    const budget = thinking['budget_tokens'];
    if (thinking.type === 'enabled' && !(typeof budget === 'number' && Number.isInteger(budget) && budget > 0)) {
      ctx.addIssue({ code: 'custom', path: ['budget_tokens'], message: 'expected a positive integer' });
    }
  });

export const anthropicOutputConfig = z.looseObject({
  effort: z.string().nullish(),
  format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

export const anthropicMessagesRequest = z.looseObject({
  model: z.string().min(1),
  messages: z.array(anthropicMessage).min(1),
  // Required by Anthropic (no default): a request without it is refused, as the API would.
  max_tokens: z.number().int().positive(),
  system: z.union([z.string(), z.array(anthropicTextBlock)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().nonnegative().optional(),
  stream: z.boolean().optional(),
  tools: z.array(anthropicTool).optional(),
  tool_choice: anthropicToolChoice.optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  thinking: anthropicThinking.optional(),
  output_config: anthropicOutputConfig.optional(),
});
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequest>;
