/**
 * OpenAI Responses body → canonical request. The input items (after any earlier turns of the conversation
 * Keel kept) become messages: an assistant's `function_call` items join its message as tool calls, and a
 * `function_call_output` becomes a tool result named after its call. What only OpenAI's own platform can
 * run (built-in tools such as `web_search`, stored prompts, file ids) is listed in `untranslatable`, so it
 * reaches an `openai` deployment through pass-through and is refused by name anywhere else. Reasoning
 * items are the model's own notes: they go back as they are to OpenAI and are left out of a translation.
 */
import type { AssistantContentPart, ChatRequest, Message, TextPart, ToolChoice, ToolDefinition, UserContentPart } from '../../core/chat-request.js';
import { KeelError } from '../../core/errors.js';
import { validationError } from '../validation-error.js';
import { BUILT_IN_TOOLS, responsesRequest, type ContentPart, type InputItem, type ResponsesFunctionTool, type ResponsesRequest } from './responses-request-schema.js';

const KNOWN_FIELDS = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'temperature',
  'top_p', 'text', 'reasoning', 'metadata', 'user', 'stream', 'store', 'background', 'previous_response_id',
  'stream_options', 'truncation', 'service_tier', 'prompt_cache_key', 'safety_identifier', 'include',
]);

/** Fields that change the answer and that only OpenAI's platform can honour. */
const UNTRANSLATABLE_FIELDS = ['prompt', 'conversation', 'top_logprobs', 'max_tool_calls'];

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

export interface ParsedResponsesRequest {
  request: ChatRequest;
  params: ResponsesRequest;
  /** Every input item of the conversation so far, earlier turns first: what a later turn builds on. */
  items: InputItem[];
}

function userParts(content: unknown, path: string, untranslatable: string[]): UserContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const out: UserContentPart[] = [];
  (content as ContentPart[]).forEach((part, i) => {
    if (part.type === 'input_text' || part.type === 'output_text') out.push({ type: 'text', text: part['text'] as string });
    else if (part.type === 'refusal') out.push({ type: 'text', text: part['refusal'] as string });
    else if (part.type === 'input_image' && typeof part['image_url'] === 'string') {
      const url = part['image_url'];
      const match = DATA_URL.exec(url);
      const source = match ? { kind: 'base64' as const, mediaType: match[1]!, data: match[2]! } : { kind: 'url' as const, url };
      out.push(typeof part['detail'] === 'string' ? { type: 'image', source, detail: part['detail'] } : { type: 'image', source });
    } else untranslatable.push(`${path}[${i}]: ${part.type}${part.type === 'input_image' ? ' by file_id' : ' content'}`);
  });
  return out;
}

function textOnly(parts: UserContentPart[], path: string, untranslatable: string[]): TextPart[] {
  if (parts.some((p) => p.type !== 'text')) untranslatable.push(`${path}: image outside a user message`);
  return parts.filter((p): p is TextPart => p.type === 'text');
}

function convertItems(items: InputItem[], system: TextPart[], untranslatable: string[]): Message[] {
  const messages: Message[] = [];
  const toolNames = new Map<string, string>();
  const lastAssistant = (): AssistantContentPart[] => {
    const last = messages.at(-1);
    if (last?.role === 'assistant') return last.content;
    const content: AssistantContentPart[] = [];
    messages.push({ role: 'assistant', content });
    return content;
  };
  items.forEach((item, i) => {
    const path = `input[${i}]`;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const parts = userParts(item['content'], `${path}.content`, untranslatable);
      const role = item['role'] as string;
      if (role === 'user') messages.push({ role: 'user', content: parts });
      else if (role === 'assistant') lastAssistant().push(...textOnly(parts, `${path}.content`, untranslatable));
      else if (messages.length === 0) system.push(...textOnly(parts, `${path}.content`, untranslatable));
      else messages.push({ role: 'system', content: textOnly(parts, `${path}.content`, untranslatable) });
    } else if (type === 'function_call') {
      const id = item['call_id'] as string;
      toolNames.set(id, item['name'] as string);
      lastAssistant().push({ type: 'tool_call', id, name: item['name'] as string, arguments: item['arguments'] as string });
    } else if (type === 'function_call_output') {
      const id = item['call_id'] as string;
      const message: Message = { role: 'tool', toolCallId: id, content: userParts(item['output'], `${path}.output`, untranslatable) };
      const name = toolNames.get(id);
      if (name !== undefined) message.toolName = name;
      messages.push(message);
    } else if (type !== 'reasoning') untranslatable.push(`${path}: ${type} item`);
  });
  return messages;
}

function convertTools(params: ResponsesRequest, untranslatable: string[]): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  (params.tools ?? []).forEach((tool, i) => {
    if (tool.type !== 'function') {
      untranslatable.push(`tools[${i}]: ${tool.type} tool${(BUILT_IN_TOOLS as readonly string[]).includes(tool.type) ? ' (built into OpenAI)' : ''}`);
      return;
    }
    const fn = tool as ResponsesFunctionTool;
    const def: ToolDefinition = { name: fn.name, parameters: fn.parameters ?? { type: 'object', properties: {} } };
    if (fn.description != null) def.description = fn.description;
    if (fn.strict != null) def.strict = fn.strict;
    tools.push(def);
  });
  return tools;
}

function convertToolChoice(choice: ResponsesRequest['tool_choice'], untranslatable: string[]): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === 'string') return { type: choice };
  if (choice.type === 'function' && typeof choice['name'] === 'string') return { type: 'tool', name: choice['name'] };
  untranslatable.push(`tool_choice: ${choice.type}`);
  return undefined;
}

/** Validates a Responses body; `earlier` are the items of the conversation it continues, if any. */
export function parseResponsesRequest(json: unknown, earlier: InputItem[] = []): ParsedResponsesRequest {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new KeelError('invalid_request', 'The request body must be a JSON object.', { param: 'body' });
  }
  const parsed = responsesRequest.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error, json);
  const params = parsed.data;
  const own: InputItem[] = typeof params.input === 'string' ? [{ type: 'message', role: 'user', content: params.input }] : ((params.input ?? []) as InputItem[]);
  if (own.length === 0 && earlier.length === 0) {
    throw new KeelError('invalid_request', "Missing required parameter: 'input'.", { param: 'input', upstreamCode: 'missing_required_parameter' });
  }
  const items = [...earlier, ...own];
  const untranslatable: string[] = [];
  // Instructions are the system prompt of this turn only: OpenAI does not carry them to the next one.
  const system: TextPart[] = params.instructions == null || params.instructions === '' ? [] : [{ type: 'text', text: params.instructions }];
  const messages = convertItems(items, system, untranslatable);
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) if (!KNOWN_FIELDS.has(key)) extensions[key] = value;
  for (const field of UNTRANSLATABLE_FIELDS) if (params[field] != null) untranslatable.push(field);
  const request: ChatRequest = {
    model: params.model,
    system,
    messages,
    tools: convertTools(params, untranslatable),
    stop: [],
    sampling: {},
    stream: params.stream === true,
    streamUsage: true,
    extensions: Object.keys(extensions).length > 0 ? { 'openai-responses': extensions } : {},
    untranslatable,
    surface: 'openai-responses',
  };
  if (params.max_output_tokens != null) request.maxTokens = params.max_output_tokens;
  if (params.temperature != null) request.sampling.temperature = params.temperature;
  if (params.top_p != null) request.sampling.topP = params.top_p;
  if (params.user !== undefined) request.user = params.user;
  const toolChoice = convertToolChoice(params.tool_choice, untranslatable);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (params.parallel_tool_calls != null) request.parallelToolCalls = params.parallel_tool_calls;
  const format = params.text?.format;
  if (format?.type === 'json_schema') {
    const schema = format as Extract<typeof format, { type: 'json_schema' }>;
    request.responseFormat = { type: 'json_schema', name: schema.name, schema: schema.schema, ...(schema.strict == null ? {} : { strict: schema.strict }), ...(schema.description === undefined ? {} : { description: schema.description }) };
  } else if (format?.type === 'json_object') request.responseFormat = { type: 'json_object' };
  if (params.reasoning?.effort != null) request.reasoning = { effort: params.reasoning.effort };
  return { request, params, items };
}
