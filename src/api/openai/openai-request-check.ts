/**
 * Whether a client's body is a valid Chat Completions request, checked by hand: exactly the bodies that
 * `openaiChatRequest` (openai-wire.ts) accepts, held to it by a test that replaces every field of several
 * requests with every kind of value and compares. Every OpenAI-format request is checked, and the zod
 * parse copied the whole body and cost about as much as the rest of parsing it; the schema still writes
 * the error for a body this refuses, naming the field.
 */
import type { OpenAIChatRequest } from '../../providers/openai/openai-wire.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const absentOr = (v: unknown, check: (v: unknown) => boolean): boolean => v === undefined || check(v);
const nullishOr = (v: unknown, check: (v: unknown) => boolean): boolean => v == null || check(v);
const inRange = (min: number, max: number) => (v: unknown): boolean => isNumber(v) && v >= min && v <= max;
const positiveInt = (v: unknown): boolean => isInt(v) && v > 0;
const isBoolean = (v: unknown): boolean => typeof v === 'boolean';
/** `z.record(z.string(), z.unknown())`: any plain object. */
const isRecord = isObject;

function arrayOf(v: unknown, check: (item: unknown) => boolean, min = 0, max = Infinity): boolean {
  if (!Array.isArray(v) || v.length < min || v.length > max) return false;
  for (let i = 0; i < v.length; i++) if (!check(v[i])) return false;
  return true;
}

const IMAGE_DETAIL = new Set<unknown>(['auto', 'low', 'high']);

function isContentPart(v: unknown): boolean {
  if (!isObject(v) || !isString(v['type'])) return false;
  if (v['type'] === 'text') return isString(v['text']);
  if (v['type'] !== 'image_url') return true; // other parts (audio, files) are kept for pass-through
  const image = v['image_url'];
  if (!isObject(image) || !isString(image['url']) || image['url'] === '') return false;
  return image['detail'] === undefined || IMAGE_DETAIL.has(image['detail']);
}

const isTextContent = (v: unknown): boolean => isString(v) || arrayOf(v, isContentPart);

function isToolCall(v: unknown): boolean {
  if (!isObject(v) || !isString(v['id']) || v['type'] !== 'function') return false;
  const fn = v['function'];
  return isObject(fn) && isString(fn['name']) && isString(fn['arguments']);
}

function isMessage(v: unknown): boolean {
  if (!isObject(v)) return false;
  switch (v['role']) {
    case 'system':
    case 'developer':
    case 'user':
      return isTextContent(v['content']) && absentOr(v['name'], isString);
    case 'assistant':
      return (
        absentOr(v['content'], (c) => c === null || isTextContent(c)) &&
        absentOr(v['tool_calls'], (c) => arrayOf(c, isToolCall)) &&
        nullishOr(v['refusal'], isString) &&
        absentOr(v['name'], isString) &&
        nullishOr(v['reasoning_content'], isString)
      );
    case 'tool':
      return isTextContent(v['content']) && isString(v['tool_call_id']);
    case 'function':
      return (v['content'] === null || isString(v['content'])) && isString(v['name']);
    default:
      return false;
  }
}

function isTool(v: unknown): boolean {
  if (!isObject(v) || !isString(v['type'])) return false;
  if (v['type'] !== 'function') return true; // another kind of tool, refused later by name
  const fn = v['function'];
  return (
    isObject(fn) &&
    isString(fn['name']) &&
    fn['name'] !== '' &&
    absentOr(fn['description'], isString) &&
    absentOr(fn['parameters'], isRecord) &&
    nullishOr(fn['strict'], isBoolean)
  );
}

function isToolChoice(v: unknown): boolean {
  if (v === 'none' || v === 'auto' || v === 'required') return true;
  return isObject(v) && v['type'] === 'function' && isObject(v['function']) && isString(v['function']['name']);
}

function isResponseFormat(v: unknown): boolean {
  if (!isObject(v)) return false;
  if (v['type'] === 'text' || v['type'] === 'json_object') return true;
  if (v['type'] !== 'json_schema') return false;
  const js = v['json_schema'];
  return isObject(js) && isString(js['name']) && absentOr(js['description'], isString) && absentOr(js['schema'], isRecord) && nullishOr(js['strict'], isBoolean);
}

export function isOpenAIChatRequest(v: unknown): v is OpenAIChatRequest {
  return (
    isObject(v) &&
    isString(v['model']) &&
    v['model'] !== '' &&
    arrayOf(v['messages'], isMessage, 1) &&
    nullishOr(v['stream'], isBoolean) &&
    nullishOr(v['stream_options'], (o) => isObject(o) && absentOr(o['include_usage'], isBoolean)) &&
    nullishOr(v['max_tokens'], positiveInt) &&
    nullishOr(v['max_completion_tokens'], positiveInt) &&
    nullishOr(v['temperature'], inRange(0, 2)) &&
    nullishOr(v['top_p'], inRange(0, 1)) &&
    nullishOr(v['n'], (n) => isInt(n) && n >= 1 && n <= 128) &&
    nullishOr(v['stop'], (s) => isString(s) || arrayOf(s, isString, 0, 4)) &&
    nullishOr(v['presence_penalty'], inRange(-2, 2)) &&
    nullishOr(v['frequency_penalty'], inRange(-2, 2)) &&
    nullishOr(v['seed'], isInt) &&
    absentOr(v['user'], isString) &&
    absentOr(v['tools'], (t) => arrayOf(t, isTool)) &&
    absentOr(v['tool_choice'], isToolChoice) &&
    absentOr(v['parallel_tool_calls'], isBoolean) &&
    absentOr(v['response_format'], isResponseFormat) &&
    nullishOr(v['reasoning_effort'], isString)
  );
}
