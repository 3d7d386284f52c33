/**
 * OpenAI Chat Completions body → canonical request. Validation names the failing field; what the
 * canonical model cannot carry is listed in `untranslatable` (it still reaches an OpenAI-format deployment
 * untouched, through pass-through) and unknown top-level fields are kept in `extensions.openai`.
 */
import type {
  AssistantContentPart,
  ChatRequest,
  ImagePart,
  Message,
  TextPart,
  ToolChoice,
  ToolDefinition,
  UserContentPart,
} from '../../core/chat-request.js';
import { KeelError } from '../../core/errors.js';
import { openaiChatRequest, type OpenAIChatRequest, type OpenAIContentPart } from '../../providers/openai/openai-wire.js';
import { validationError } from '../validation-error.js';
import { isOpenAIChatRequest } from './openai-request-check.js';

const KNOWN_FIELDS = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p',
  'stop', 'presence_penalty', 'frequency_penalty', 'seed', 'user', 'tools', 'tool_choice', 'parallel_tool_calls',
  'response_format', 'reasoning_effort',
]);

/** Fields that change the answer and that no other format can express. */
const UNTRANSLATABLE_FIELDS = ['logprobs', 'top_logprobs', 'logit_bias', 'audio', 'modalities', 'prediction', 'web_search_options', 'functions', 'function_call'];

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function imagePart(url: string, detail: string | undefined): ImagePart {
  const match = DATA_URL.exec(url);
  const source: ImagePart['source'] = match ? { kind: 'base64', mediaType: match[1]!, data: match[2]! } : { kind: 'url', url };
  return detail === undefined ? { type: 'image', source } : { type: 'image', source, detail };
}

function parts(content: string | OpenAIContentPart[] | null | undefined, path: string, untranslatable: string[]): UserContentPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const out: UserContentPart[] = [];
  content.forEach((part, i) => {
    if (part.type === 'text') out.push({ type: 'text', text: part.text! });
    else if (part.type === 'image_url') out.push(imagePart(part.image_url!.url, part.image_url!.detail));
    else untranslatable.push(`${path}[${i}]: ${part.type} content`);
  });
  return out;
}

function textParts(content: string | OpenAIContentPart[] | null | undefined, path: string, untranslatable: string[]): TextPart[] {
  const all = parts(content, path, untranslatable);
  all.forEach((p, i) => {
    if (p.type !== 'text') untranslatable.push(`${path}[${i}]: image in a ${path.includes('system') ? 'system' : 'non-user'} message`);
  });
  return all.filter((p): p is TextPart => p.type === 'text');
}

function convertMessages(body: OpenAIChatRequest, untranslatable: string[]): { system: TextPart[]; messages: Message[] } {
  const system: TextPart[] = [];
  const messages: Message[] = [];
  body.messages.forEach((m, i) => {
    const path = `messages[${i}].content`;
    switch (m.role) {
      case 'system':
      case 'developer': {
        const content = textParts(m.content, path, untranslatable);
        // Leading system messages are the system prompt; later ones stay in place.
        if (messages.length === 0) system.push(...content);
        else messages.push({ role: 'system', content });
        return;
      }
      case 'user':
        messages.push(m.name === undefined ? { role: 'user', content: parts(m.content, path, untranslatable) } : { role: 'user', content: parts(m.content, path, untranslatable), name: m.name });
        return;
      case 'assistant': {
        const content: AssistantContentPart[] = [];
        if (m.reasoning_content) content.push({ type: 'thinking', text: m.reasoning_content });
        content.push(...textParts(m.content, path, untranslatable));
        if (m.refusal) content.push({ type: 'text', text: m.refusal });
        for (const call of m.tool_calls ?? []) content.push({ type: 'tool_call', id: call.id, name: call.function.name, arguments: call.function.arguments });
        messages.push({ role: 'assistant', content });
        return;
      }
      case 'tool':
        messages.push({ role: 'tool', toolCallId: m.tool_call_id, content: parts(m.content, path, untranslatable) });
        return;
      case 'function':
        untranslatable.push(`messages[${i}]: legacy function message`);
        return;
    }
  });
  return { system, messages };
}

function convertTools(body: OpenAIChatRequest, untranslatable: string[]): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  (body.tools ?? []).forEach((tool, i) => {
    const fn = tool['function'] as { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null } | undefined;
    if (tool.type !== 'function' || fn === undefined) {
      untranslatable.push(`tools[${i}]: ${String(tool.type)} tool`);
      return;
    }
    const def: ToolDefinition = { name: fn.name, parameters: fn.parameters ?? { type: 'object', properties: {} } };
    if (fn.description !== undefined) def.description = fn.description;
    if (fn.strict != null) def.strict = fn.strict;
    tools.push(def);
  });
  return tools;
}

function convertToolChoice(choice: OpenAIChatRequest['tool_choice']): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (typeof choice === 'string') return { type: choice };
  return { type: 'tool', name: choice.function.name };
}

export function parseOpenAIRequest(json: unknown): ChatRequest {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new KeelError('invalid_request', 'The request body must be a JSON object.', { param: 'body' });
  }
  // The hand check accepts exactly what the schema does, without copying the body; the schema names the field of a refusal.
  let body: OpenAIChatRequest;
  if (isOpenAIChatRequest(json)) body = json;
  else {
    const parsed = openaiChatRequest.safeParse(json);
    if (!parsed.success) throw validationError(parsed.error, json);
    body = parsed.data;
  }
  const untranslatable: string[] = [];
  const { system, messages } = convertMessages(body, untranslatable);
  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!KNOWN_FIELDS.has(key)) extensions[key] = value;
  for (const field of UNTRANSLATABLE_FIELDS) if (body[field] != null && body[field] !== false) untranslatable.push(field);
  if (body.n != null && body.n > 1) {
    extensions['n'] = body.n;
    untranslatable.push('n > 1');
  }
  const request: ChatRequest = {
    model: body.model,
    system,
    messages,
    tools: convertTools(body, untranslatable),
    stop: body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
    sampling: {},
    stream: body.stream === true,
    streamUsage: body.stream === true && body.stream_options?.include_usage === true,
    extensions: Object.keys(extensions).length > 0 ? { openai: extensions } : {},
    untranslatable,
  };
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (body.temperature != null) request.sampling.temperature = body.temperature;
  if (body.top_p != null) request.sampling.topP = body.top_p;
  if (body.presence_penalty != null) request.sampling.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) request.sampling.frequencyPenalty = body.frequency_penalty;
  if (body.seed != null) request.sampling.seed = body.seed;
  if (body.user !== undefined) request.user = body.user;
  const toolChoice = convertToolChoice(body.tool_choice);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  if (body.parallel_tool_calls !== undefined) request.parallelToolCalls = body.parallel_tool_calls;
  const rf = body.response_format;
  if (rf !== undefined) {
    if (rf.type === 'json_schema') {
      const js = rf['json_schema'] as { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
      request.responseFormat = { type: 'json_schema', name: js.name, schema: js.schema ?? {}, ...(js.strict == null ? {} : { strict: js.strict }), ...(js.description === undefined ? {} : { description: js.description }) };
    } else request.responseFormat = { type: rf.type };
  }
  if (body.reasoning_effort != null) request.reasoning = { effort: body.reasoning_effort };
  return request;
}
