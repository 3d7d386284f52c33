/**
 * Judges what a drill client received, the way a careful client would: a 200 must carry a well-formed
 * answer in the client's format; an error must carry a parseable error body in that format; a stream
 * must end with its format's terminator or with an in-stream error event. Anything else (a stream that
 * just stops, a body that does not parse) is "lost": the gateway left the client without a clean answer.
 * Bodies are parsed with schemas, never trusted.
 */
import { z } from 'zod';
import { parseJsonOrUndefined } from '../core/json-text.js';

export type ClientFormat = 'openai' | 'anthropic' | 'gemini';

export type Verdict =
  | { kind: 'ok' }
  | { kind: 'error'; errorType: string }
  | { kind: 'lost'; reason: string };

const openaiAnswer = z.looseObject({ choices: z.array(z.looseObject({ message: z.looseObject({ content: z.string().nullable().optional() }) })).min(1) });
const anthropicAnswer = z.looseObject({ type: z.literal('message'), content: z.array(z.looseObject({ type: z.string() })) });
const geminiAnswer = z.looseObject({ candidates: z.array(z.looseObject({ content: z.looseObject({}).optional() })).min(1) });
const openaiError = z.looseObject({ error: z.looseObject({ message: z.string(), type: z.string().nullable().optional(), code: z.union([z.string(), z.number()]).nullable().optional() }) });
const anthropicError = z.looseObject({ type: z.literal('error'), error: z.looseObject({ type: z.string(), message: z.string() }) });
const geminiError = z.looseObject({ error: z.looseObject({ message: z.string(), status: z.string().optional() }) });


/** The error's name as the client's SDK would see it: OpenAI's code (else type), Anthropic's type. */
function errorName(format: ClientFormat, body: unknown): string | undefined {
  if (format === 'anthropic') {
    const parsed = anthropicError.safeParse(body);
    return parsed.success ? parsed.data.error.type : undefined;
  }
  if (format === 'gemini') {
    const parsed = geminiError.safeParse(body);
    return parsed.success ? parsed.data.error.status ?? 'error' : undefined;
  }
  const parsed = openaiError.safeParse(body);
  if (!parsed.success) return undefined;
  const { code, type } = parsed.data.error;
  return code === null || code === undefined ? type ?? 'error' : String(code);
}

/** A complete non-streamed answer (or an error answer of any status). */
export function judgeJson(format: ClientFormat, status: number, text: string): Verdict {
  const body = parseJsonOrUndefined(text);
  if (status >= 400) {
    const name = errorName(format, body);
    return name === undefined ? { kind: 'lost', reason: `HTTP ${status} without a ${format} error body` } : { kind: 'error', errorType: `${status} ${name}` };
  }
  if (status !== 200) return { kind: 'lost', reason: `unexpected HTTP ${status}` };
  const schema = format === 'anthropic' ? anthropicAnswer : format === 'gemini' ? geminiAnswer : openaiAnswer;
  return schema.safeParse(body).success ? { kind: 'ok' } : { kind: 'lost', reason: `HTTP 200 without a well-formed ${format} answer` };
}

/** What one stream event meant. */
export type StreamStep = 'content' | 'other' | 'done' | { error: string } | { malformed: string };

const openaiChunk = z.looseObject({ choices: z.array(z.looseObject({ delta: z.looseObject({ content: z.string().nullable().optional() }).optional() })) });
const anthropicEvent = z.looseObject({ type: z.string(), delta: z.looseObject({ text: z.string().optional() }).optional() });

/** Reads one SSE event of a stream in the client's format. */
export function judgeStreamEvent(format: ClientFormat, data: string): StreamStep {
  if (format === 'openai' && data === '[DONE]') return 'done';
  const body = parseJsonOrUndefined(data);
  if (body === undefined) return { malformed: 'an event that is not JSON' };
  if (format === 'openai') {
    if (typeof body === 'object' && body !== null && 'error' in body) {
      const name = errorName('openai', body);
      return name === undefined ? { malformed: 'an error event without an error body' } : { error: `stream ${name}` };
    }
    const chunk = openaiChunk.safeParse(body);
    if (!chunk.success) return { malformed: 'a chunk without choices' };
    return chunk.data.choices.some((c) => (c.delta?.content ?? '') !== '') ? 'content' : 'other';
  }
  if (format === 'anthropic') {
    const event = anthropicEvent.safeParse(body);
    if (!event.success) return { malformed: 'an event without a type' };
    if (event.data.type === 'error') {
      const name = errorName('anthropic', body);
      return name === undefined ? { malformed: 'an error event without an error body' } : { error: `stream ${name}` };
    }
    if (event.data.type === 'message_stop') return 'done';
    return event.data.type === 'content_block_delta' && (event.data.delta?.text ?? '') !== '' ? 'content' : 'other';
  }
  return { malformed: 'gemini streams are not judged by the drill' };
}
