/**
 * From request bytes to JSON the surfaces may trust: strict UTF-8 (an invalid byte would be silently
 * replaced by U+FFFD, and a pass-through provider would read the original bytes), the structural checks
 * of `inspectJson` (depth, duplicate keys, prototype keys, out-of-range numbers), then `JSON.parse`, then
 * the caps on how many messages and tools one request may carry. Every refusal is a 400 naming the problem.
 */
import { DEFAULTS } from '../../config/defaults.js';
import { KeelError } from '../../core/errors.js';
import { inspectJson } from './inspect-json.js';

export interface BodyLimits {
  maxJsonDepth: number;
  maxMessages: number;
  maxTools: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  maxJsonDepth: DEFAULTS.server.maxJsonDepth,
  maxMessages: DEFAULTS.server.maxMessages,
  maxTools: DEFAULTS.server.maxTools,
};

// ignoreBOM: a BOM stays in the text, so JSON.parse refuses it as it always did (and as a provider would).
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8(body: Uint8Array): string {
  try {
    return UTF8.decode(body);
  } catch {
    throw new KeelError('invalid_json', 'The request body is not valid UTF-8.');
  }
}

function checkCount(json: Record<string, unknown>, field: 'messages' | 'input' | 'contents' | 'tools', max: number): void {
  const value = json[field];
  // `input` holds turns on the Responses API, but strings or token ids on embeddings: only turns count.
  if (field === 'input' && (!Array.isArray(value) || typeof value[0] !== 'object' || Array.isArray(value[0]))) return;
  if (Array.isArray(value) && value.length > max) {
    throw new KeelError('invalid_request', `Too many ${field}: ${value.length}, at most ${max} are allowed in one request.`, { param: field });
  }
}

/** Parses a JSON request body under the limits, turning every problem into a 400 that says what it is. */
export function readJsonBody(body: Buffer, limits: BodyLimits = DEFAULT_BODY_LIMITS): unknown {
  if (body.length === 0) throw new KeelError('invalid_json', 'The request body is empty; expected a JSON object.');
  const text = decodeUtf8(body);
  inspectJson(text, limits.maxJsonDepth);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : 'invalid JSON';
    throw new KeelError('invalid_json', `The request body is not valid JSON: ${detail}.`);
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    // The turns of a conversation, by each surface's name for them: Chat/Messages, Responses, Gemini.
    for (const field of ['messages', 'input', 'contents'] as const) checkCount(json as Record<string, unknown>, field, limits.maxMessages);
    checkCount(json as Record<string, unknown>, 'tools', limits.maxTools);
  }
  return json;
}
