/**
 * Swaps the top-level `"model"` value in a JSON body without re-serialising it, so a pass-through request
 * reaches the provider byte for byte as the client wrote it (field order, unknown fields, number
 * formatting) and Keel spends no time encoding. The body has already been parsed once, so it is valid
 * JSON; like JSON.parse, the last top-level "model" wins.
 */
import { isJsonSpace, jsonStringEnd } from '../core/json-text.js';

export function swapModel(body: Buffer, model: string): Buffer {
  const text = body.toString('latin1'); // byte-preserving: offsets in the string are offsets in the buffer
  let depth = 0;
  let lastSpan: [number, number] | undefined;
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = jsonStringEnd(text, i);
      if (depth === 1 && expectKey && text.slice(i + 1, end) === 'model') {
        let j = end + 1;
        while (isJsonSpace(text.charCodeAt(j))) j++;
        j++; // the colon
        while (isJsonSpace(text.charCodeAt(j))) j++;
        if (text.charCodeAt(j) === 0x22) {
          const valueEnd = jsonStringEnd(text, j);
          lastSpan = [j, valueEnd + 1];
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
  if (lastSpan === undefined) {
    const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    return Buffer.from(JSON.stringify({ ...parsed, model }));
  }
  const current = text.slice(lastSpan[0], lastSpan[1]);
  const replacement = JSON.stringify(model);
  if (current === replacement) return body;
  return Buffer.concat([body.subarray(0, lastSpan[0]), Buffer.from(replacement, 'utf8'), body.subarray(lastSpan[1])]);
}
