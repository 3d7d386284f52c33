/**
 * The format-neutral reply plan. Each format's request reader turns a provider body into a
 * `NeutralRequest`; `planReply` decides the deterministic answer (text, tool calls, finish reason, usage)
 * once, so the three formats can never disagree about what the "model" said. Encoders only render a plan.
 */
import { isRecord } from './json-shape.js';
import type { SimModelSpec } from './types.js';

export interface NeutralTool {
  name: string;
  /** The tool's JSON schema for its arguments (may be missing or partial). */
  schema: unknown;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export interface NeutralRequest {
  model: string;
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: a usage chunk before [DONE]. */
  streamUsage: boolean;
  /** Characters of all message and system text, for the input-token estimate. */
  inputChars: number;
  /** Text of the last user message (text parts joined). */
  lastUserText: string;
  /** The last message is the user's (a tool call may answer it); false after a prefill or tool result. */
  endsWithUser: boolean;
  /** Tool results in the last message, when the last message is one; else empty. */
  toolResults: { name: string; text: string }[];
  imageCount: number;
  tools: NeutralTool[];
  toolChoice: ToolChoice;
  maxTokens: number | null;
  stopSequences: string[];
  jsonMode: boolean;
  /** A JSON schema the answer must validate against (structured output), when the request set one. */
  jsonSchema?: unknown;
  /** Anthropic extended thinking requested. */
  thinking: boolean;
  /** Request settings a format echoes back in its answer (the Responses API's `instructions`, `tools`...). */
  echo?: Record<string, unknown>;
}

export interface PlannedToolCall {
  name: string;
  args: Record<string, unknown>;
  argsJson: string;
}

/** Why generation ended, in neutral words; each encoder maps it to its own finish reason. */
export type FinishKind = 'stop' | 'length' | 'stop_sequence' | 'tool_calls';

export interface ReplyPlan {
  text: string;
  /** `text` split into stream tokens; joining them reproduces `text` exactly. */
  tokens: string[];
  /** Thinking tokens (Anthropic), empty when thinking was not requested. */
  thinkingTokens: string[];
  toolCalls: PlannedToolCall[];
  finish: FinishKind;
  stopSequence: string | null;
  inputTokens: number;
  outputTokens: number;
}

export type PlanResult =
  | { ok: true; plan: ReplyPlan }
  | { ok: false; inputTokens: number; contextWindow: number };

const ECHO_WORDS = 30;
const TOOL_RESULT_CHARS = 100;
const MAX_PARALLEL_TOOLS = 3;
const CHARS_PER_TOKEN = 4;

/** Whitespace tokens, each after the first keeping its leading whitespace, so `join('')` is lossless. */
export function tokenize(text: string): string[] {
  const tokens = text.match(/\s*\S+/g) ?? [];
  const joinedLength = tokens.reduce((sum, token) => sum + token.length, 0);
  const trailing = text.slice(joinedLength);
  if (trailing.length > 0) {
    if (tokens.length === 0) return [trailing];
    tokens[tokens.length - 1] += trailing;
  }
  return tokens;
}

export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));
}

/** Arguments that satisfy a tool's JSON schema at its simplest, so a client's validator accepts them. */
export function sampleArgs(schema: unknown): Record<string, unknown> {
  if (!isRecord(schema) || !isRecord(schema['properties'])) return {};
  const properties = schema['properties'];
  const required = Array.isArray(schema['required'])
    ? schema['required'].filter((name): name is string => typeof name === 'string' && name in properties)
    : [];
  const names = required.length > 0 ? required : Object.keys(properties);
  return Object.fromEntries(names.map((name) => [name, sampleValue(properties[name])]));
}

function sampleValue(schema: unknown): unknown {
  if (!isRecord(schema)) return 'sample';
  const enumValues = schema['enum'];
  if (Array.isArray(enumValues) && enumValues.length > 0) return enumValues[0];
  const rawType = Array.isArray(schema['type'])
    ? schema['type'].find((t) => t !== 'null' && t !== 'NULL')
    : schema['type'];
  // Gemini schemas spell types in upper case (STRING, INTEGER).
  switch (typeof rawType === 'string' ? rawType.toLowerCase() : '') {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return 'sample';
  }
}

function chooseTools(request: NeutralRequest): NeutralTool[] {
  const { tools, toolChoice } = request;
  if (tools.length === 0 || toolChoice.type === 'none' || !request.endsWithUser) return [];
  if (toolChoice.type === 'tool') {
    const forced = tools.find((tool) => tool.name === toolChoice.name);
    return forced === undefined ? [] : [forced];
  }
  if (tools.length >= 2 && /\bparallel\b/i.test(request.lastUserText)) return tools.slice(0, MAX_PARALLEL_TOOLS);
  return tools.slice(0, 1);
}

function replyText(request: NeutralRequest, spec: SimModelSpec | undefined): string {
  let text: string;
  if (request.toolResults.length > 0) {
    text = request.toolResults
      .map((result) => `Tool ${result.name} returned: ${result.text.slice(0, TOOL_RESULT_CHARS)}`)
      .join(' ');
  } else if (spec?.reply !== undefined) {
    text = spec.reply;
  } else {
    const words = request.lastUserText.split(/\s+/).filter((word) => word.length > 0);
    text = `Hello from ${request.model}. You said: ${words.slice(0, ECHO_WORDS).join(' ')}`;
  }
  if (request.imageCount > 0) text = `I see ${request.imageCount} image(s). ${text}`;
  // Structured output: an object that validates against the schema, as real models are constrained to.
  if (request.jsonSchema !== undefined) return JSON.stringify(sampleArgs(request.jsonSchema));
  return request.jsonMode ? JSON.stringify({ reply: text }) : text;
}

export function planReply(request: NeutralRequest, spec: SimModelSpec | undefined): PlanResult {
  const inputTokens = estimateTokens(request.inputChars);
  if (spec?.contextWindow !== undefined && inputTokens > spec.contextWindow) {
    return { ok: false, inputTokens, contextWindow: spec.contextWindow };
  }
  const thinkingTokens = request.thinking
    ? tokenize(`The user wrote: "${request.lastUserText.split(/\s+/).slice(0, 10).join(' ')}". A short answer will do.`)
    : [];
  const chosen = chooseTools(request);
  if (chosen.length > 0) {
    const toolCalls = chosen.map((tool) => {
      const args = sampleArgs(tool.schema);
      return { name: tool.name, args, argsJson: JSON.stringify(args) };
    });
    const outputTokens = toolCalls.reduce((sum, call) => sum + estimateTokens(call.argsJson.length), 0);
    return {
      ok: true,
      plan: {
        text: '', tokens: [], thinkingTokens, toolCalls, finish: 'tool_calls', stopSequence: null,
        inputTokens, outputTokens: outputTokens + thinkingTokens.length,
      },
    };
  }

  let text = replyText(request, spec);
  let finish: FinishKind = 'stop';
  let stopSequence: string | null = null;
  for (const candidate of request.stopSequences) {
    const at = candidate.length > 0 ? text.indexOf(candidate) : -1;
    if (at >= 0 && (stopSequence === null || at < text.indexOf(stopSequence))) stopSequence = candidate;
  }
  if (stopSequence !== null) {
    text = text.slice(0, text.indexOf(stopSequence));
    finish = 'stop_sequence';
  }
  let tokens = tokenize(text);
  if (request.maxTokens !== null && tokens.length > request.maxTokens) {
    tokens = tokens.slice(0, request.maxTokens);
    text = tokens.join('');
    finish = 'length';
    stopSequence = null;
  }
  return {
    ok: true,
    plan: {
      text, tokens, thinkingTokens, toolCalls: [], finish, stopSequence,
      inputTokens, outputTokens: tokens.length + thinkingTokens.length,
    },
  };
}

/** Splits a tool's JSON arguments into about three fragments, as providers stream them. */
export function splitArgs(json: string, pieces = 3): string[] {
  const size = Math.max(1, Math.ceil(json.length / pieces));
  const out: string[] = [];
  for (let at = 0; at < json.length; at += size) out.push(json.slice(at, at + size));
  return out;
}
