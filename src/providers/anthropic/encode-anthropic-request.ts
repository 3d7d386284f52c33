/**
 * Canonical request → Anthropic Messages body, for clients of another format (Anthropic clients are
 * passed through and never come here). Anthropic is stricter than the canonical model in three ways this
 * module absorbs: turns must alternate user/assistant (consecutive turns are merged, tool results become
 * `tool_result` blocks of a user turn), `max_tokens` is required, and tool-call arguments travel as
 * parsed JSON. What Anthropic cannot express at all (JSON response formats, seeds, penalties) is refused
 * with a `bad_request` naming the feature, never dropped.
 */
import { encodeOrRefuse, refuseFeature, toolArgumentsObject, type EncodeResult } from '../translation.js';
import type {
  AssistantContentPart,
  ChatRequest,
  ImagePart,
  Message,
  TextPart,
  ToolChoice,
  UserContentPart,
} from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';

type Json = Record<string, unknown>;

/**
 * Used when neither the request nor the deployment's `max_output_tokens` says how long an answer may be.
 * Anthropic rejects a body without `max_tokens`; 4096 is the largest value every Claude model accepts
 * (Claude 3 Haiku/Opus cap output there), so it can never be refused as too large, and it is long enough
 * for ordinary chat answers. Deployments of newer models should set `capabilities.max_output_tokens`.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** Anthropic's temperature range is 0..1 (OpenAI's is 0..2): higher values are clamped, not refused. */
const MAX_TEMPERATURE = 1;

/** Anthropic's smallest accepted thinking budget. */
const MIN_THINKING_BUDGET = 1024;

/**
 * Thinking budgets for an OpenAI-style `reasoning_effort`, when no explicit budget was given. An effort
 * is a hint, so it gives way to the client's own limits (see `thinkingConfig`); `minimal`/`none` mean no
 * extended thinking.
 */
const EFFORT_BUDGET: Record<string, number> = { low: 1024, medium: 8192, high: 24_576 };

export function encodeAnthropicRequest(request: ChatRequest, deployment: Deployment): EncodeResult {
  return encodeOrRefuse(() => encode(request, deployment));
}

function refuse(feature: string, deployment: Deployment): never {
  return refuseFeature(feature, 'Anthropic', deployment);
}

function encode(request: ChatRequest, deployment: Deployment): Json {
  checkExpressible(request, deployment);
  const body: Json = { model: deployment.model };
  const system = encodeSystem(request.system);
  if (system !== undefined) body['system'] = system;
  body['messages'] = encodeMessages(request.messages, deployment);

  // The hard limit is the client's, else the deployment's; the default applies only when neither is set.
  const limit = request.maxTokens ?? deployment.capabilities.maxOutputTokens;
  let maxTokens = limit ?? DEFAULT_MAX_TOKENS;
  const thinking = thinkingConfig(request, limit);
  // `max_tokens` includes the thinking budget, which must stay below it. A client that set no limit
  // asked for thinking *and* an answer: leave the default room for the answer on top of the budget.
  if (thinking !== undefined && request.maxTokens === undefined && thinking.budget_tokens >= maxTokens) {
    maxTokens = Math.min(thinking.budget_tokens + DEFAULT_MAX_TOKENS, deployment.capabilities.maxOutputTokens ?? Number.POSITIVE_INFINITY);
  }
  body['max_tokens'] = maxTokens;
  if (thinking !== undefined) body['thinking'] = thinking;

  const s = request.sampling;
  if (s.temperature !== undefined) body['temperature'] = Math.min(MAX_TEMPERATURE, Math.max(0, s.temperature));
  if (s.topP !== undefined) body['top_p'] = s.topP;
  if (s.topK !== undefined) body['top_k'] = s.topK;
  if (request.stop.length > 0) body['stop_sequences'] = request.stop;
  if (request.user !== undefined) body['metadata'] = { user_id: request.user };

  if (request.tools.length > 0) {
    body['tools'] = request.tools.map((t) => ({
      name: t.name,
      ...(t.description === undefined ? {} : { description: t.description }),
      input_schema: { type: 'object', ...t.parameters },
      ...(t.strict === undefined ? {} : { strict: t.strict }),
    }));
    const choice = encodeToolChoice(request.toolChoice, request.parallelToolCalls);
    if (choice !== undefined) body['tool_choice'] = choice;
  }
  if (request.stream) body['stream'] = true;
  return body;
}

/** Features with no Anthropic equivalent, each refused by name. */
function checkExpressible(request: ChatRequest, deployment: Deployment): void {
  if (request.untranslatable.length > 0) refuse(request.untranslatable.join(', '), deployment);
  const rf = request.responseFormat;
  if (rf !== undefined && rf.type !== 'text') refuse(`response_format ${rf.type}`, deployment);
  if (request.sampling.seed !== undefined) refuse('seed', deployment);
  if (request.sampling.frequencyPenalty !== undefined) refuse('frequency_penalty', deployment);
  if (request.sampling.presencePenalty !== undefined) refuse('presence_penalty', deployment);
}

function textBlock(part: TextPart): Json {
  return part.cacheControl === undefined ? { type: 'text', text: part.text } : { type: 'text', text: part.text, cache_control: part.cacheControl };
}

/** A plain string when it can be one; blocks when a part carries a cache marker or there are several. */
function encodeSystem(parts: TextPart[]): string | Json[] | undefined {
  const nonEmpty = parts.filter((p) => p.text !== '');
  if (nonEmpty.length === 0) return undefined;
  if (nonEmpty.length === 1 && nonEmpty[0]!.cacheControl === undefined) return nonEmpty[0]!.text;
  return nonEmpty.map(textBlock);
}

function imageBlock(part: ImagePart): Json {
  const source = part.source.kind === 'base64'
    ? { type: 'base64', media_type: part.source.mediaType, data: part.source.data }
    : { type: 'url', url: part.source.url };
  return { type: 'image', source };
}

/** User content blocks; Anthropic refuses empty text blocks, so they are left out. */
function userBlocks(parts: UserContentPart[]): Json[] {
  const out: Json[] = [];
  for (const part of parts) {
    if (part.type === 'image') out.push(imageBlock(part));
    else if (part.text !== '') out.push(textBlock(part));
  }
  return out;
}

function assistantBlocks(parts: AssistantContentPart[], deployment: Deployment): Json[] {
  const out: Json[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        if (part.text !== '') out.push(textBlock(part));
        break;
      case 'tool_call':
        out.push({ type: 'tool_use', id: part.id, name: part.name, input: toolInput(part.id, part.name, part.arguments, deployment) });
        break;
      case 'thinking':
        // Anthropic verifies the signature of every thinking block sent back. Reasoning from another
        // provider (no signature) cannot be verified and would be refused, so it stays behind; it only
        // ever helped the model that wrote it.
        if (part.redactedData !== undefined) out.push({ type: 'redacted_thinking', data: part.redactedData });
        else if (part.signature !== undefined) out.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        break;
    }
  }
  return out;
}

function toolInput(id: string, name: string, args: string, deployment: Deployment): Json {
  return toolArgumentsObject(id, name, args, 'Anthropic', deployment);
}

function toolResultBlock(message: Extract<Message, { role: 'tool' }>): Json {
  const block: Json = { type: 'tool_result', tool_use_id: message.toolCallId };
  const content = userBlocks(message.content);
  if (content.length > 0) block['content'] = content;
  if (message.isError === true) block['is_error'] = true;
  return block;
}

/**
 * Messages → Anthropic turns. A message that encodes to no blocks is left out (Anthropic refuses empty
 * turns), and consecutive turns of one role are merged, which is also what puts parallel tool results
 * into the single user turn Anthropic requires right after the assistant's tool calls.
 */
function encodeMessages(messages: Message[], deployment: Deployment): Json[] {
  const turns: { role: 'user' | 'assistant'; content: Json[] }[] = [];
  for (const message of messages) {
    let role: 'user' | 'assistant';
    let content: Json[];
    switch (message.role) {
      case 'system':
        // Mid-conversation system text has no Anthropic place but the system prompt, which would move it;
        // as a user turn it keeps its position and its words.
        role = 'user';
        content = userBlocks(message.content);
        break;
      case 'user':
        role = 'user';
        content = userBlocks(message.content);
        break;
      case 'assistant':
        role = 'assistant';
        content = assistantBlocks(message.content, deployment);
        break;
      case 'tool':
        role = 'user';
        content = [toolResultBlock(message)];
        break;
    }
    if (content.length === 0) continue;
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...content);
    else turns.push({ role, content });
  }
  return turns;
}

function encodeToolChoice(choice: ToolChoice | undefined, parallelToolCalls: boolean | undefined): Json | undefined {
  if (choice?.type === 'none') return { type: 'none' };
  const disableParallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  switch (choice?.type) {
    case undefined:
      return parallelToolCalls === false ? { type: 'auto', ...disableParallel } : undefined;
    case 'auto':
      return { type: 'auto', ...disableParallel };
    case 'required':
      return { type: 'any', ...disableParallel };
    case 'tool':
      return { type: 'tool', name: choice.name, ...disableParallel };
  }
}

/**
 * Extended thinking from an explicit budget (sent as asked: Anthropic judges it), or from an effort hint,
 * which yields to the limits: its budget takes at most half of the output limit (the answer needs the
 * rest), and no thinking is enabled when that is below Anthropic's minimum, or when the client set
 * sampling that thinking forbids (a temperature other than 1, or top_k).
 */
function thinkingConfig(request: ChatRequest, limit: number | undefined): { type: 'enabled'; budget_tokens: number } | undefined {
  const explicit = request.reasoning?.budgetTokens;
  if (explicit !== undefined) return explicit > 0 ? { type: 'enabled', budget_tokens: explicit } : undefined;
  const effort = request.reasoning?.effort;
  let budget = effort === undefined ? undefined : EFFORT_BUDGET[effort];
  if (budget === undefined) return undefined;
  const s = request.sampling;
  if ((s.temperature !== undefined && s.temperature !== 1) || s.topK !== undefined) return undefined;
  if (limit !== undefined) budget = Math.min(budget, Math.floor(limit / 2));
  return budget >= MIN_THINKING_BUDGET ? { type: 'enabled', budget_tokens: budget } : undefined;
}
