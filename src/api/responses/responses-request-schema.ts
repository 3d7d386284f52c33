/**
 * The OpenAI Responses API request (`POST /v1/responses`), as schemas. Objects are loose (OpenAI adds
 * fields often; what Keel does not model is kept for pass-through), but every field Keel reads is checked
 * so a bad value is refused with the field's path (`input[2].call_id`), the way OpenAI words its 400s.
 * Input items and content parts are checked by their `type` in one refinement rather than as a union,
 * so a broken item gets an error naming the exact field instead of "no union member matched".
 */
import { z } from 'zod';

/** Tools that run inside OpenAI's platform: only an `openai` deployment, through pass-through, can run them. */
export const BUILT_IN_TOOLS = [
  'web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11', 'file_search',
  'code_interpreter', 'computer_use_preview', 'computer_use', 'mcp', 'image_generation', 'local_shell', 'shell',
  'apply_patch', 'custom',
] as const;

type Issue = { path: PropertyKey[]; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkString(issues: Issue[], item: Record<string, unknown>, key: string, path: PropertyKey[], optional = false): void {
  const value = item[key];
  if (optional && (value === undefined || value === null)) return;
  if (typeof value !== 'string') issues.push({ path: [...path, key], message: value === undefined ? 'required, expected a string' : 'expected a string' });
}

function checkContentPart(issues: Issue[], part: unknown, path: PropertyKey[]): void {
  if (!isObject(part) || typeof part['type'] !== 'string') {
    issues.push({ path: [...path, 'type'], message: 'expected a content part with a string type' });
    return;
  }
  switch (part['type']) {
    case 'input_text':
    case 'output_text':
      checkString(issues, part, 'text', path);
      return;
    case 'refusal':
      checkString(issues, part, 'refusal', path);
      return;
    case 'input_image':
      checkString(issues, part, 'image_url', path, part['file_id'] !== undefined);
      if (part['detail'] !== undefined && !['auto', 'low', 'high'].includes(part['detail'] as string)) {
        issues.push({ path: [...path, 'detail'], message: "expected 'auto', 'low' or 'high'" });
      }
      return;
    default:
      return; // input_file, input_audio...: kept for pass-through, refused by name when translated
  }
}

function checkContent(issues: Issue[], content: unknown, path: PropertyKey[]): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) {
    issues.push({ path, message: content === undefined ? 'required, expected a string or an array of content parts' : 'expected a string or an array of content parts' });
    return;
  }
  content.forEach((part, i) => checkContentPart(issues, part, [...path, i]));
}

function checkInputItem(issues: Issue[], item: unknown, path: PropertyKey[]): void {
  if (!isObject(item)) {
    issues.push({ path, message: 'expected an input item object' });
    return;
  }
  const type = item['type'] ?? 'message';
  if (typeof type !== 'string') {
    issues.push({ path: [...path, 'type'], message: 'expected a string' });
    return;
  }
  switch (type) {
    case 'message':
      if (!['user', 'assistant', 'system', 'developer'].includes(item['role'] as string)) {
        issues.push({ path: [...path, 'role'], message: "expected 'user', 'assistant', 'system' or 'developer'" });
      }
      checkContent(issues, item['content'], [...path, 'content']);
      return;
    case 'function_call':
      checkString(issues, item, 'call_id', path);
      checkString(issues, item, 'name', path);
      checkString(issues, item, 'arguments', path);
      return;
    case 'function_call_output':
      checkString(issues, item, 'call_id', path);
      checkContent(issues, item['output'], [...path, 'output']);
      return;
    default:
      return;
  }
}

const functionTool = z.looseObject({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const tool = z.looseObject({ type: z.string() }).superRefine((value, ctx) => {
  if (value.type !== 'function') return;
  const parsed = functionTool.safeParse(value);
  for (const issue of parsed.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), name: z.string().min(1) }),
  z.looseObject({ type: z.string() }),
]);

const textFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
    description: z.string().optional(),
  }),
]);

export const responsesRequest = z.looseObject({
  model: z.string().min(1),
  input: z
    .union([z.string(), z.array(z.unknown())])
    .optional()
    .superRefine((input, ctx) => {
      if (!Array.isArray(input)) return;
      const issues: Issue[] = [];
      input.forEach((item, i) => checkInputItem(issues, item, [i]));
      for (const issue of issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }),
  instructions: z.string().nullish(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  text: z.looseObject({ format: textFormat.optional() }).nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().optional(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  background: z.boolean().nullish(),
  previous_response_id: z.string().min(1).nullish(),
});

export type ResponsesRequest = z.infer<typeof responsesRequest>;
export type ResponsesFunctionTool = z.infer<typeof functionTool>;

/** An input item, once the schema has checked the fields Keel reads. */
export type InputItem = Record<string, unknown> & { type?: string };
export type ContentPart = Record<string, unknown> & { type: string };
