/**
 * What an OpenAI-format upstream sends on every request, checked by hand rather than through the zod
 * schemas of openai-wire.ts (`openaiChunk`, `openaiChatResponse`): a stream chunk on every event of every
 * OpenAI-format stream, a chat completion on every JSON answer. The schemas built a copy of each and cost
 * about as much as `JSON.parse` itself. Each check accepts exactly what its schema accepts (a test holds
 * them together) and returns the parsed JSON itself, typed, with no copy and no defaults filled in: chunk
 * readers treat a missing `choices`, `index` or `delta` as the schema's defaults (none, 0, empty).
 */
import type { OpenAIChatResponse, OpenAIUsage } from './openai-wire.js';

export interface OpenAIChunkToolCall {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface OpenAIChunkDelta {
  role?: string | null;
  content?: string | null;
  reasoning_content?: string | null;
  refusal?: string | null;
  tool_calls?: OpenAIChunkToolCall[] | null;
}

export interface OpenAIChunkChoice {
  index?: number;
  delta?: OpenAIChunkDelta;
  finish_reason?: string | null;
}

export interface OpenAIChunkView {
  id?: string | undefined;
  model?: string | undefined;
  created?: number | undefined;
  choices?: OpenAIChunkChoice[];
  usage?: OpenAIUsage | null;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `undefined` (absent) passes; `nullable` also lets `null` pass. */
function optionalString(value: unknown, nullable: boolean): boolean {
  return value === undefined || typeof value === 'string' || (nullable && value === null);
}

function optionalInt(value: unknown, min = Number.MIN_SAFE_INTEGER): boolean {
  return value === undefined || (Number.isSafeInteger(value) && (value as number) >= min);
}

function optionalDetails(value: unknown, field: string): boolean {
  return value === undefined || value === null || (isObject(value) && optionalInt(value[field], 0));
}

/** Every element passes (a plain loop: `every` would skip the holes of a sparse array). */
function allOf(values: unknown[], check: (value: unknown) => boolean): boolean {
  for (let i = 0; i < values.length; i++) if (!check(values[i])) return false;
  return true;
}

function isUsage(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (!isObject(value)) return false;
  return (
    value['prompt_tokens'] !== undefined &&
    optionalInt(value['prompt_tokens'], 0) &&
    value['completion_tokens'] !== undefined &&
    optionalInt(value['completion_tokens'], 0) &&
    optionalInt(value['total_tokens'], 0) &&
    optionalDetails(value['prompt_tokens_details'], 'cached_tokens') &&
    optionalDetails(value['completion_tokens_details'], 'reasoning_tokens')
  );
}

function isToolCall(value: unknown): boolean {
  if (!isObject(value) || !optionalInt(value['index']) || !optionalString(value['id'], true)) return false;
  const fn = value['function'];
  return fn === undefined || fn === null || (isObject(fn) && optionalString(fn['name'], true) && optionalString(fn['arguments'], true));
}

function isDelta(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isObject(value)) return false;
  for (const field of ['role', 'content', 'reasoning_content', 'refusal']) if (!optionalString(value[field], true)) return false;
  const calls = value['tool_calls'];
  return calls === undefined || calls === null || (Array.isArray(calls) && allOf(calls, isToolCall));
}

function isChoice(value: unknown): boolean {
  return isObject(value) && optionalInt(value['index']) && isDelta(value['delta']) && optionalString(value['finish_reason'], true);
}

/** The chunk, typed, when it has the shape of a Chat Completions chunk; undefined otherwise. */
export function readOpenAIChunk(json: unknown): OpenAIChunkView | undefined {
  if (!isObject(json)) return undefined;
  if (!optionalString(json['id'], false) || !optionalString(json['model'], false)) return undefined;
  const created = json['created'];
  if (created !== undefined && typeof created !== 'number') return undefined;
  const choices = json['choices'];
  if (choices !== undefined && !(Array.isArray(choices) && allOf(choices, isChoice))) return undefined;
  if (!isUsage(json['usage'])) return undefined;
  return json as OpenAIChunkView;
}

/** A complete tool call of an answer: `id`, `type: "function"` and a name and arguments, all present. */
function isAnswerToolCall(value: unknown): boolean {
  if (!isObject(value) || typeof value['id'] !== 'string' || value['type'] !== 'function') return false;
  const fn = value['function'];
  return isObject(fn) && typeof fn['name'] === 'string' && typeof fn['arguments'] === 'string';
}

function isAnswerChoice(value: unknown): boolean {
  if (!isObject(value) || !optionalInt(value['index']) || !optionalString(value['finish_reason'], true)) return false;
  const message = value['message'];
  if (!isObject(message) || !optionalString(message['role'], false)) return false;
  for (const field of ['content', 'refusal', 'reasoning_content']) if (!optionalString(message[field], true)) return false;
  const calls = message['tool_calls'];
  return calls === undefined || calls === null || (Array.isArray(calls) && allOf(calls, isAnswerToolCall));
}

/** The answer, typed, when it has the shape of a chat completion (at least one choice); undefined otherwise. */
export function readOpenAIChatResponse(json: unknown): OpenAIChatResponse | undefined {
  if (!isObject(json) || typeof json['id'] !== 'string' || typeof json['model'] !== 'string') return undefined;
  const created = json['created'];
  if (created !== undefined && typeof created !== 'number') return undefined;
  const choices = json['choices'];
  if (!Array.isArray(choices) || choices.length === 0 || !allOf(choices, isAnswerChoice)) return undefined;
  if (!isUsage(json['usage'])) return undefined;
  return json as OpenAIChatResponse;
}
