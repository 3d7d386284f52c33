/**
 * One pass over a request body's JSON text that refuses what `JSON.parse` accepts but Keel must not trust:
 *
 * - nesting deeper than the limit: code downstream walks requests recursively (schemas, cache keys), and
 *   a body of ten thousand `[` would exhaust its stack;
 * - duplicate keys: a same-format request is forwarded byte for byte, so the provider might read the
 *   other value from the one Keel validated and routed on (JSON leaves duplicates undefined);
 * - `__proto__` keys, and `prototype` under `constructor`: harmless in `JSON.parse`'s output, but one
 *   careless merge later turns them into prototype pollution;
 * - numbers that are not finite (`1e400` parses as Infinity) or integral beyond 2^53 (`1e308`,
 *   `9007199254740993`): Keel would compute with a different value from the one the provider reads.
 *
 * The scan is iterative (a hostile depth cannot overflow it) and tolerant: on malformed JSON it stops
 * quietly and leaves `JSON.parse` to report the syntax error.
 */
import { KeelError } from '../../core/errors.js';
import { jsonStringEnd } from '../../core/json-text.js';

interface ObjectFrame {
  kind: 'object';
  /** Its keys so far: a list while short (most objects have a few keys, and a Set costs more to make), then a Set. */
  keys: string[] | Set<string>;
  /** The current member's key, once read. */
  key: string | undefined;
  expectingKey: boolean;
  /** The key this object sits under in its parent object, if any. */
  ownerKey: string | undefined;
}

interface ArrayFrame {
  kind: 'array';
  index: number;
}

type Frame = ObjectFrame | ArrayFrame;

const PATH_SEGMENTS_SHOWN = 12; // a path deeper than this is elided: the message names the top of it

/** The path of the value being read, the way error params are written (`messages[0].content`). */
function pathOf(stack: readonly Frame[]): string {
  const segments: string[] = [];
  for (const frame of stack) {
    if (frame.kind === 'array') segments.push(`[${frame.index}]`);
    else if (frame.key !== undefined) segments.push(segments.length === 0 ? frame.key : `.${frame.key}`);
  }
  if (segments.length > PATH_SEGMENTS_SHOWN) return `${segments.slice(0, PATH_SEGMENTS_SHOWN).join('')}…`;
  return segments.join('');
}

function refuse(message: string, stack: readonly Frame[]): never {
  const param = pathOf(stack);
  throw new KeelError('invalid_request', param === '' ? `${message}.` : `${message} (at '${param}').`, { param: param === '' ? 'body' : param });
}

function isNumberChar(c: number): boolean {
  // 0-9 + - . e E
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x65 || c === 0x45;
}

function checkKey(frame: ObjectFrame, key: string, stack: readonly Frame[]): void {
  if (key === '__proto__') refuse(`The key '__proto__' is not allowed in a request body`, stack);
  if (key === 'prototype' && frame.ownerKey === 'constructor') refuse(`The key 'constructor.prototype' is not allowed in a request body`, stack);
  const keys = frame.keys;
  if (Array.isArray(keys) ? keys.includes(key) : keys.has(key)) refuse(`Duplicate key '${key}' in the request body: repeated keys are read differently by different parsers`, stack);
  if (!Array.isArray(keys)) keys.add(key);
  else if (keys.length < KEYS_LISTED) keys.push(key);
  else frame.keys = new Set(keys).add(key);
}

/** Past this many keys an object's are kept in a Set: a list's search grows with it. */
const KEYS_LISTED = 8;

function checkNumber(token: string, stack: readonly Frame[]): void {
  const value = Number(token);
  if (Number.isNaN(value)) return; // malformed: JSON.parse reports it
  if (!Number.isFinite(value)) refuse(`The number ${token.slice(0, 32)} is out of range`, stack);
  if (Math.abs(value) > Number.MAX_SAFE_INTEGER && Number.isInteger(value)) {
    refuse(`The number ${token.slice(0, 32)} is too large: integers must be within ±${Number.MAX_SAFE_INTEGER}`, stack);
  }
}

export function inspectJson(text: string, maxDepth: number): void {
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const top = stack.at(-1);
    if (c === 0x7b || c === 0x5b) {
      // { or [
      if (stack.length >= maxDepth) refuse(`The request body nests JSON deeper than ${maxDepth} levels`, stack);
      const ownerKey = top?.kind === 'object' ? top.key : undefined;
      stack.push(c === 0x7b ? { kind: 'object', keys: [], key: undefined, expectingKey: true, ownerKey } : { kind: 'array', index: 0 });
      i++;
    } else if (c === 0x7d || c === 0x5d) {
      // } or ]
      stack.pop();
      i++;
    } else if (c === 0x2c) {
      // ,
      if (top?.kind === 'array') top.index++;
      else if (top?.kind === 'object') top.expectingKey = true;
      i++;
    } else if (c === 0x22) {
      // "
      const end = jsonStringEnd(text, i);
      if (end === text.length) return; // never closes
      if (top?.kind === 'object' && top.expectingKey) {
        let key = text.slice(i + 1, end);
        if (key.includes('\\')) {
          try {
            key = JSON.parse(text.slice(i, end + 1)) as string;
          } catch {
            return;
          }
        }
        top.expectingKey = false;
        top.key = key;
        checkKey(top, key, stack);
      }
      i = end + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      while (j < n && isNumberChar(text.charCodeAt(j))) j++;
      checkNumber(text.slice(i, j), stack);
      i = j;
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a || (c >= 0x61 && c <= 0x7a)) {
      // whitespace, ':' and the letters of true / false / null
      i++;
    } else {
      return; // not JSON: JSON.parse says where
    }
  }
}
