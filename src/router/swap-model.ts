/**
 * Swaps the top-level `"model"` value in a JSON body without re-serialising it, so a pass-through request
 * reaches the provider byte for byte as the client wrote it (field order, unknown fields, number
 * formatting) and Keel spends no time encoding. The body has already been parsed once, so it is valid
 * JSON; like JSON.parse, the last top-level "model" wins.
 */
import { isJsonSpace, jsonStringEndInBytes } from '../core/json-text.js';

const QUOTE = 0x22;

/** `"model"`'s five bytes, checked in place (a Buffer compare crosses into C++ for five bytes). */
function isModelKey(body: Buffer, start: number, end: number): boolean {
  return end - start === 6 && body[start + 1] === 0x6d && body[start + 2] === 0x6f && body[start + 3] === 0x64 && body[start + 4] === 0x65 && body[start + 5] === 0x6c;
}

/** A model name as JSON bytes, made once per name: a gateway swaps in the same few names all day. */
const encodedModels = new Map<string, Buffer>();
const MAX_ENCODED_MODELS = 1_000;

function encodedModel(model: string): Buffer {
  let bytes = encodedModels.get(model);
  if (bytes === undefined) {
    if (encodedModels.size >= MAX_ENCODED_MODELS) encodedModels.clear();
    bytes = Buffer.from(JSON.stringify(model), 'utf8');
    encodedModels.set(model, bytes);
  }
  return bytes;
}

export function swapModel(body: Buffer, model: string): Buffer {
  let depth = 0;
  let lastStart = -1;
  let lastEnd = -1;
  let i = 0;
  let expectKey = false;
  const n = body.length;
  while (i < n) {
    const c = body[i]!;
    if (c === QUOTE) {
      const end = jsonStringEndInBytes(body, i);
      if (depth === 1 && expectKey && isModelKey(body, i, end)) {
        let j = end + 1;
        while (isJsonSpace(body[j]!)) j++;
        j++; // the colon
        while (isJsonSpace(body[j]!)) j++;
        if (body[j] === QUOTE) {
          const valueEnd = jsonStringEndInBytes(body, j);
          lastStart = j;
          lastEnd = valueEnd + 1;
          i = valueEnd + 1;
          expectKey = false;
          continue;
        }
      }
      expectKey = false;
      i = end + 1;
      continue;
    }
    if (c === 0x7b /* { */) {
      depth++;
      expectKey = depth === 1;
    } else if (c === 0x5b /* [ */) depth++;
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
    else if (c === 0x2c /* , */ && depth === 1) expectKey = true;
    i++;
  }
  if (lastStart === -1) {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    return Buffer.from(JSON.stringify({ ...parsed, model }));
  }
  const replacement = encodedModel(model);
  if (sameBytes(body, lastStart, lastEnd, replacement)) return body;
  // A new buffer, never the client's edited in place: the client's bytes may still be read (a retry asks
  // another deployment, with its own model).
  const swapped = Buffer.allocUnsafe(body.length - (lastEnd - lastStart) + replacement.length);
  body.copy(swapped, 0, 0, lastStart);
  replacement.copy(swapped, lastStart);
  body.copy(swapped, lastStart + replacement.length, lastEnd);
  return swapped;
}

function sameBytes(body: Buffer, start: number, end: number, other: Buffer): boolean {
  if (end - start !== other.length) return false;
  for (let k = 0; k < other.length; k++) if (body[start + k] !== other[k]) return false;
  return true;
}
