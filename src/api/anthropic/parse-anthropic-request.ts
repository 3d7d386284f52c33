/**
 * Anthropic Messages body → canonical request. Validation names the failing field; what the canonical
 * model cannot carry (documents, server tools, adaptive thinking…) is listed in `untranslatable` — it still
 * reaches an Anthropic deployment untouched, through pass-through — and unknown top-level fields are kept
 * in `extensions.anthropic`. Anthropic puts tool results inside user turns; canonically they are `tool`
 * messages of their own, placed before whatever else the user said in that turn.
 */
import type {
  AssistantContentPart,
  ChatRequest,
  ImagePart,
  Message,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultMessage,
  UserContentPart,
} from '../../core/chat-request.js';
import { KeelError } from '../../core/errors.js';
import { validationError } from '../validation-error.js';
import {
  anthropicMessagesRequest,
  type AnthropicContentBlock,
  type AnthropicMessagesRequest,
  type AnthropicTool,
} from './anthropic-request-schema.js';

const KNOWN_FIELDS = new Set([
  'model', 'messages', 'max_tokens', 'system', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'stream', 'tools',
  'tool_choice', 'metadata', 'thinking', 'output_config',
]);

/** Top-level fields that change the answer and that no other format can express. */
const UNTRANSLATABLE_FIELDS = ['container', 'mcp_servers', 'context_management'];

function textPart(block: { text?: string; cache_control?: unknown }): TextPart {
  const part: TextPart = { type: 'text', text: block.text! };
  if (block.cache_control != null) part.cacheControl = block.cache_control;
  return part;
}

function imagePart(block: AnthropicContentBlock): ImagePart | undefined {
  const source = block.source!;
  if (source.type === 'base64') return { type: 'image', source: { kind: 'base64', mediaType: source.media_type!, data: source.data! } };
  if (source.type === 'url') return { type: 'image', source: { kind: 'url', url: source.url! } };
  return undefined;
}

/** Text and image blocks of a user turn or a tool result; anything else is noted as untranslatable. */
function userPart(block: AnthropicContentBlock, path: string, untranslatable: string[]): UserContentPart | undefined {
  if (block.type === 'text') return textPart(block);
  const image = block.type === 'image' ? imagePart(block) : undefined;
  if (image === undefined) untranslatable.push(`${path}: ${block.type === 'image' ? `${block.source!.type} image source` : block.type}`);
  return image;
}

class MessageConverter {
  readonly system: TextPart[] = [];
  readonly messages: Message[] = [];
  /** Tool names by tool_use id, so a result can name its tool (Gemini needs the name). */
  private readonly toolNames = new Map<string, string>();

  constructor(private readonly untranslatable: string[]) {}

  add(role: 'user' | 'assistant' | 'system', content: string | AnthropicContentBlock[], path: string): void {
    const blocks: AnthropicContentBlock[] = typeof content === 'string' ? [{ type: 'text', text: content }] : content;
    if (role === 'system') this.addSystem(blocks, path);
    else if (role === 'assistant') this.addAssistant(blocks, path);
    else this.addUser(blocks, path);
  }

  private addSystem(blocks: AnthropicContentBlock[], path: string): void {
    const content: TextPart[] = [];
    blocks.forEach((block, i) => {
      if (block.type === 'text') content.push(textPart(block));
      else this.untranslatable.push(`${path}[${i}]: ${block.type} in a system message`);
    });
    // Leading system messages join the system prompt; later ones stay in place.
    if (this.messages.length === 0) this.system.push(...content);
    else this.messages.push({ role: 'system', content });
  }

  private addAssistant(blocks: AnthropicContentBlock[], path: string): void {
    const content: AssistantContentPart[] = [];
    blocks.forEach((block, i) => {
      switch (block.type) {
        case 'text':
          content.push(textPart(block));
          return;
        case 'tool_use':
          this.toolNames.set(block.id!, block.name!);
          content.push({ type: 'tool_call', id: block.id!, name: block.name!, arguments: JSON.stringify(block.input) });
          return;
        case 'thinking':
          content.push({ type: 'thinking', text: block.thinking!, signature: block.signature! });
          return;
        case 'redacted_thinking':
          content.push({ type: 'thinking', text: '', redactedData: block.data! });
          return;
        default:
          this.untranslatable.push(`${path}[${i}]: ${block.type} in an assistant message`);
      }
    });
    this.messages.push({ role: 'assistant', content });
  }

  private addUser(blocks: AnthropicContentBlock[], path: string): void {
    const content: UserContentPart[] = [];
    blocks.forEach((block, i) => {
      const at = `${path}[${i}]`;
      if (block.type === 'tool_result') {
        this.messages.push(this.toolResult(block, at));
        return;
      }
      if (block.type === 'thinking' || block.type === 'redacted_thinking' || block.type === 'tool_use') {
        this.untranslatable.push(`${at}: ${block.type} in a user message`);
        return;
      }
      const part = userPart(block, at, this.untranslatable);
      if (part !== undefined) content.push(part);
    });
    // A turn of only tool results adds no user message: the results answer the assistant's calls.
    if (content.length > 0 || !blocks.some((b) => b.type === 'tool_result')) this.messages.push({ role: 'user', content });
  }

  private toolResult(block: AnthropicContentBlock, path: string): ToolResultMessage {
    const inner = block.content ?? [];
    const content: UserContentPart[] = [];
    if (typeof inner === 'string') content.push({ type: 'text', text: inner });
    else {
      inner.forEach((b, i) => {
        const part = userPart(b, `${path}.content[${i}]`, this.untranslatable);
        if (part !== undefined) content.push(part);
      });
    }
    const message: ToolResultMessage = { role: 'tool', toolCallId: block.tool_use_id!, content };
    const name = this.toolNames.get(block.tool_use_id!);
    if (name !== undefined) message.toolName = name;
    if (block.is_error === true) message.isError = true;
    return message;
  }
}

function convertTools(tools: AnthropicTool[] | undefined, untranslatable: string[]): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  (tools ?? []).forEach((tool, i) => {
    if (tool.type !== undefined && tool.type !== 'custom') {
      untranslatable.push(`tools[${i}]: ${tool.type} tool`);
      return;
    }
    const def: ToolDefinition = { name: tool.name, parameters: tool.input_schema! };
    if (tool.description !== undefined) def.description = tool.description;
    if (typeof tool.strict === 'boolean') def.strict = tool.strict;
    out.push(def);
  });
  return out;
}

function convertToolChoice(choice: NonNullable<AnthropicMessagesRequest['tool_choice']>): ToolChoice {
  switch (choice.type) {
    case 'auto':
      return { type: 'auto' };
    case 'any':
      return { type: 'required' };
    case 'none':
      return { type: 'none' };
    case 'tool':
      return { type: 'tool', name: choice.name };
  }
}

export function parseAnthropicRequest(json: unknown): ChatRequest {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new KeelError('invalid_request', 'The request body must be a JSON object.', { param: 'body' });
  }
  const parsed = anthropicMessagesRequest.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error, json);
  const body = parsed.data;
  // Anthropic refuses a system turn in the list; accepting it would answer differently on each upstream.
  const system = body.messages.findIndex((m) => m.role === 'system');
  if (system >= 0) {
    throw new KeelError('invalid_request', 'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.', { param: `messages[${system}].role` });
  }
  const untranslatable: string[] = [];

  const converter = new MessageConverter(untranslatable);
  if (body.system !== undefined) converter.add('system', body.system as string | AnthropicContentBlock[], 'system');
  body.messages.forEach((m, i) => converter.add(m.role, m.content as string | AnthropicContentBlock[], `messages[${i}].content`));

  const extensions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!KNOWN_FIELDS.has(key)) extensions[key] = value;
  for (const field of UNTRANSLATABLE_FIELDS) if (body[field] != null) untranslatable.push(field);

  const request: ChatRequest = {
    model: body.model,
    system: converter.system,
    messages: converter.messages,
    tools: convertTools(body.tools as AnthropicTool[] | undefined, untranslatable),
    maxTokens: body.max_tokens,
    stop: body.stop_sequences ?? [],
    sampling: {},
    stream: body.stream === true,
    // An OpenAI-only switch: Anthropic streams always carry usage.
    streamUsage: false,
    extensions: Object.keys(extensions).length > 0 ? { anthropic: extensions } : {},
    untranslatable,
  };
  if (body.temperature !== undefined) request.sampling.temperature = body.temperature;
  if (body.top_p !== undefined) request.sampling.topP = body.top_p;
  if (body.top_k !== undefined) request.sampling.topK = body.top_k;
  if (body.metadata?.user_id != null) request.user = body.metadata.user_id;
  if (body.tool_choice !== undefined) {
    request.toolChoice = convertToolChoice(body.tool_choice);
    if (body.tool_choice.type !== 'none' && body.tool_choice.disable_parallel_tool_use === true) request.parallelToolCalls = false;
  }
  const thinking = body.thinking;
  if (thinking !== undefined) {
    if (thinking.type === 'enabled') request.reasoning = { budgetTokens: thinking['budget_tokens'] as number };
    else if (thinking.type !== 'disabled') untranslatable.push(`thinking: ${thinking.type}`);
  }
  const output = body.output_config;
  if (output?.format != null) request.responseFormat = { type: 'json_schema', name: 'output', schema: output.format.schema };
  if (output?.effort != null) request.reasoning = { ...request.reasoning, effort: output.effort };
  return request;
}
