/**
 * Swaps the top-level `"model"` value in a JSON body without re-serialising it, so a pass-through request
 * reaches the provider byte for byte as the client wrote it (field order, unknown fields, number
 * formatting) and Keel spends no time encoding. The body has already been parsed once, so it is valid
 * JSON; like JSON.parse, the last top-level "model" wins.
 */
import { isJsonSpace, jsonStringEndInBytes } from '../core/json-text.js';

const QUOTE = 0x22;
const MODEL = Buffer.from('model');

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
      if (depth === 1 && expectKey && end - i - 1 === MODEL.length && body.compare(MODEL, 0, MODEL.length, i + 1, end) === 0) {
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
  const replacement = Buffer.from(JSON.stringify(model), 'utf8');
  if (replacement.equals(body.subarray(lastStart, lastEnd))) return body;
  return Buffer.concat([body.subarray(0, lastStart), replacement, body.subarray(lastEnd)], body.length - (lastEnd - lastStart) + replacement.length);
}
