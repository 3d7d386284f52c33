/**
 * The common OpenAI stream chunk read without `JSON.parse`: one pass over its text that checks it is
 * JSON and takes only what the stream decoder uses (each choice's index, text and finish reason). A
 * stream is a few hundred such chunks; parsing each into objects (its id, model, fingerprint and the rest,
 * the same in every chunk) was the largest single cost of a passed-through stream, in time and in
 * garbage. What a stream's chunks repeat is learned (`ChunkMemo`), so most chunks cost a comparison of
 * text and a scan of their one varying string.
 *
 * The scan is an optimisation, never a second judge: it answers only for text that `JSON.parse` plus
 * `readOpenAIChunk` would accept and read the same way, and `undefined` for anything else: text that is
 * not JSON, and what it does not read itself (tool calls, a usage object, an error, escaped or repeated
 * keys, an index that is not a safe integer, deep nesting). The decoder then takes its full path, which
 * decides. Property tests hold the two together.
 */
import { isJsonSpace } from '../../core/json-text.js';
import type { OpenAIChunkChoice, OpenAIChunkDelta, OpenAIChunkView } from './openai-wire-check.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Deeper than any chunk field a provider sends; past it the full parse decides. */
const MAX_DEPTH = 32;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * A cursor over one chunk's text. Every method moves `pos` past what it read and answers false when the
 * text is not what it expects (the scan then gives up); `charCodeAt` past the end is NaN, which matches
 * nothing, so no bound is checked twice.
 */
class ChunkScanner {
  t = '';
  pos = 0;
  /** The string just passed holds an escape: its value is not its text. */
  escaped = false;
  /** The bounds of the last key read, its quotes included. */
  keyStart = 0;
  keyEnd = 0;
  /** The value `nullableString` just read. */
  value: string | null = null;
  /** Where the last delta's `content` string lies (its quotes included), or -1. */
  contentStart = -1;
  contentEnd = -1;

  reset(text: string): void {
    this.t = text;
    this.pos = 0;
    this.contentStart = -1;
  }

  space(): void {
    const t = this.t;
    let i = this.pos;
    for (;;) {
      if (!isJsonSpace(t.charCodeAt(i))) break;
      i++;
    }
    this.pos = i;
  }

  /** Past the character `c` and the space after it. */
  take(c: number): boolean {
    if (this.t.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    this.space();
    return true;
  }

  string(): boolean {
    const t = this.t;
    let j = this.pos;
    if (t.charCodeAt(j) !== QUOTE) return false;
    let escaped = false;
    for (;;) {
      const c = t.charCodeAt(++j);
      if (c === QUOTE) break;
      if (!(c >= 0x20)) return false; // a control character, or the end (NaN)
      if (c === BACKSLASH) {
        escaped = true;
        const e = t.charCodeAt(++j);
        if (e === 0x75) {
          if (!(isHex(t.charCodeAt(j + 1)) && isHex(t.charCodeAt(j + 2)) && isHex(t.charCodeAt(j + 3)) && isHex(t.charCodeAt(j + 4)))) return false;
          j += 4;
        } else if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return false;
      }
    }
    this.escaped = escaped;
    this.pos = j + 1;
    return true;
  }

  number(): boolean {
    const t = this.t;
    let j = this.pos;
    if (t.charCodeAt(j) === MINUS) j++;
    const first = t.charCodeAt(j);
    if (first === 0x30) j++;
    else if (first >= 0x31 && first <= 0x39) while (isDigit(t.charCodeAt(++j)));
    else return false;
    if (t.charCodeAt(j) === DOT) {
      if (!isDigit(t.charCodeAt(++j))) return false;
      while (isDigit(t.charCodeAt(++j)));
    }
    const e = t.charCodeAt(j);
    if (e === 0x65 || e === 0x45) {
      const sign = t.charCodeAt(++j);
      if (sign === PLUS || sign === MINUS) j++;
      if (!isDigit(t.charCodeAt(j))) return false;
      while (isDigit(t.charCodeAt(++j)));
    }
    this.pos = j;
    return true;
  }

  literal(word: string): boolean {
    const t = this.t;
    const from = this.pos;
    for (let i = 0; i < word.length; i++) if (t.charCodeAt(from + i) !== word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }

  /** A string or `null`, its value in `value`. */
  nullableString(): boolean {
    if (this.t.charCodeAt(this.pos) === 0x6e) {
      this.value = null;
      return this.literal('null');
    }
    const start = this.pos;
    if (!this.string()) return false;
    this.value = this.escaped ? (JSON.parse(this.t.slice(start, this.pos)) as string) : this.t.slice(start + 1, this.pos - 1);
    return true;
  }

  /** Any JSON value, checked but not read. */
  skipValue(depth: number): boolean {
    const c = this.t.charCodeAt(this.pos);
    if (c === QUOTE) return this.string();
    if (c === OPEN_OBJECT) {
      if (depth >= MAX_DEPTH || !this.take(OPEN_OBJECT)) return false;
      for (let more = this.firstMember(); more; more = this.nextMember()) if (!this.skipValue(depth + 1)) return false;
      return this.ended;
    }
    if (c === OPEN_ARRAY) {
      if (depth >= MAX_DEPTH || !this.take(OPEN_ARRAY)) return false;
      for (let more = this.firstElement(); more; more = this.nextElement()) if (!this.skipValue(depth + 1)) return false;
      return this.ended;
    }
    if (c === 0x74) return this.literal('true');
    if (c === 0x66) return this.literal('false');
    if (c === 0x6e) return this.literal('null');
    return this.number();
  }

  /**
   * Member iteration, after the `{`: `firstMember` and then `nextMember` after each value answer whether
   * a member follows (its key read, `pos` at its value); when none does, `ended` says whether the object
   * closed properly.
   */
  ended = false;

  firstMember(): boolean {
    if (this.t.charCodeAt(this.pos) === CLOSE_OBJECT) {
      this.pos++;
      this.ended = true;
      return false;
    }
    return this.key();
  }

  nextMember(): boolean {
    this.space();
    const c = this.t.charCodeAt(this.pos);
    this.pos++;
    if (c === COMMA) {
      this.space();
      return this.key();
    }
    this.ended = c === CLOSE_OBJECT;
    return false;
  }

  private key(): boolean {
    this.keyStart = this.pos;
    // An escaped key may spell a field the readers know ("cho\u0069ces"): only the full parse can say.
    if (!this.string() || this.escaped) return (this.ended = false);
    this.keyEnd = this.pos;
    this.space();
    if (!this.take(COLON)) return (this.ended = false);
    return true;
  }

  firstElement(): boolean {
    if (this.t.charCodeAt(this.pos) === CLOSE_ARRAY) {
      this.pos++;
      this.ended = true;
      return false;
    }
    return true;
  }

  nextElement(): boolean {
    this.space();
    const c = this.t.charCodeAt(this.pos);
    this.pos++;
    if (c === COMMA) {
      this.space();
      return true;
    }
    this.ended = c === CLOSE_ARRAY;
    return false;
  }

  /** The last key read is `name`. */
  keyIs(name: string): boolean {
    if (this.keyEnd - this.keyStart !== name.length + 2) return false;
    // Keys are short: a loop is several times faster than `startsWith`'s builtin call.
    const t = this.t;
    const from = this.keyStart + 1;
    for (let i = 0; i < name.length; i++) if (t.charCodeAt(from + i) !== name.charCodeAt(i)) return false;
    return true;
  }
}

const DELTA_FIELDS = ['content', 'reasoning_content', 'refusal', 'role'] as const;

function readDelta(s: ChunkScanner, depth: number): OpenAIChunkDelta | undefined {
  if (depth >= MAX_DEPTH || !s.take(OPEN_OBJECT)) return undefined;
  const delta: OpenAIChunkDelta = {};
  let seen = 0;
  for (let more = s.firstMember(); more; more = s.nextMember()) {
    let bit = 0;
    while (bit < DELTA_FIELDS.length && !s.keyIs(DELTA_FIELDS[bit]!)) bit++;
    if (bit < DELTA_FIELDS.length) {
      const start = s.pos;
      if ((seen & (1 << bit)) !== 0 || !s.nullableString()) return undefined;
      seen |= 1 << bit;
      const field = DELTA_FIELDS[bit]!;
      if (field === 'content' && s.value !== null) {
        s.contentStart = start;
        s.contentEnd = s.pos;
      }
      if (field !== 'role') delta[field] = s.value;
    } else if (s.keyIs('tool_calls')) {
      // Tool calls are left to the full parse; `null` is the same as none.
      if (!s.literal('null')) return undefined;
    } else if (!s.skipValue(depth + 1)) return undefined;
  }
  return s.ended ? delta : undefined;
}

function readChoice(s: ChunkScanner, depth: number): OpenAIChunkChoice | undefined {
  if (depth >= MAX_DEPTH || !s.take(OPEN_OBJECT)) return undefined;
  const choice: OpenAIChunkChoice = {};
  for (let more = s.firstMember(); more; more = s.nextMember()) {
    if (s.keyIs('index')) {
      const start = s.pos;
      if (choice.index !== undefined || !s.number()) return undefined;
      const index = s.pos === start + 1 ? s.t.charCodeAt(start) - 0x30 : Number(s.t.slice(start, s.pos));
      if (!Number.isSafeInteger(index)) return undefined;
      choice.index = index;
    } else if (s.keyIs('delta')) {
      if (choice.delta !== undefined) return undefined;
      const delta = readDelta(s, depth + 1);
      if (delta === undefined) return undefined;
      choice.delta = delta;
    } else if (s.keyIs('finish_reason')) {
      if (choice.finish_reason !== undefined || !s.nullableString()) return undefined;
      choice.finish_reason = s.value;
    } else if (!s.skipValue(depth + 1)) return undefined;
  }
  return s.ended ? choice : undefined;
}

function readChoices(s: ChunkScanner, choices: OpenAIChunkChoice[]): boolean {
  if (!s.take(OPEN_ARRAY)) return false;
  for (let more = s.firstElement(); more; more = s.nextElement()) {
    const choice = readChoice(s, 2);
    if (choice === undefined) return false;
    choices.push(choice);
  }
  return s.ended;
}

const TOP_FIELDS = ['choices', 'id', 'model', 'created', 'usage'] as const;
const CHOICES_BIT = 1;

/**
 * What a stream's chunks repeat, learned from the chunks already scanned whole:
 * - the prefix: everything before `choices` (id, object, created, model, service tier, fingerprint) is
 *   the same text in every chunk of a stream. A chunk that starts with it is read from its choices on.
 *   The prefix is a run of whole members, so it reads the same whatever follows it.
 * - the text chunk: most chunks are one choice whose delta is only text, and they differ in nothing but
 *   that text. A chunk that is such a chunk's text around another valid string is that string, read.
 * A comparison of text (one memcmp) replaces most of a scan; when the provider varies more (OpenAI's
 * random `obfuscation` field at the end of each chunk), the prefix still holds.
 */
export class ChunkMemo {
  /** The text up to the value of `choices`; empty until a chunk was scanned whole. */
  prefix = '';
  /** The known keys the prefix holds (a repeat after it is left to the full parse). */
  prefixSeen = 0;
  /** A text chunk's text before its content string and after it; empty until one was scanned whole. */
  textHead = '';
  textTail = '';
}

/** A text-only chunk that `memo`'s text chunk spells with another string, read; undefined when it is not one. */
function readTextChunk(s: ChunkScanner, memo: ChunkMemo): OpenAIChunkView | undefined {
  const { textHead: head, textTail: tail } = memo;
  const t = s.t;
  const tailAt = t.length - tail.length;
  if (head.length === 0 || tailAt <= head.length || t.slice(0, head.length) !== head || t.slice(tailAt) !== tail) return undefined;
  s.pos = head.length;
  if (!s.nullableString() || s.pos !== tailAt || s.value === null) return undefined;
  return { choices: [{ index: 0, delta: { content: s.value }, finish_reason: null }] };
}

/** `chunk` (read whole from `s`) is one choice whose delta is only text: its text is all a like chunk varies. */
function learnTextChunk(s: ChunkScanner, chunk: OpenAIChunkView, memo: ChunkMemo): void {
  const choice = chunk.choices!.length === 1 ? chunk.choices![0]! : undefined;
  const delta = choice?.delta;
  if (delta === undefined || s.contentStart < 0 || (choice!.index ?? 0) !== 0 || choice!.finish_reason != null) return;
  if (delta.reasoning_content != null || delta.refusal != null) return;
  memo.textHead = s.t.slice(0, s.contentStart);
  memo.textTail = s.t.slice(s.contentEnd);
}

function readChunk(s: ChunkScanner, memo: ChunkMemo): OpenAIChunkView | undefined {
  const choices: OpenAIChunkChoice[] = [];
  let seen = 0;
  let more: boolean;
  /** Where this chunk's own prefix ends, when it is read whole. */
  let prefixEnd = -1;
  let prefixSeen = 0;
  // `slice` and `===` compare as one memcmp; `startsWith` walks the text a character at a time.
  const prefix = memo.prefix;
  if (prefix.length > 0 && s.t.slice(0, prefix.length) === prefix) {
    s.pos = prefix.length;
    seen = memo.prefixSeen | CHOICES_BIT;
    if (!readChoices(s, choices)) return undefined;
    more = s.nextMember();
  } else {
    s.space();
    if (!s.take(OPEN_OBJECT)) return undefined;
    more = s.firstMember();
  }
  for (; more; more = s.nextMember()) {
    let bit = 0;
    while (bit < TOP_FIELDS.length && !s.keyIs(TOP_FIELDS[bit]!)) bit++;
    if (bit === TOP_FIELDS.length) {
      // An in-stream error is the full parse's to classify.
      if (s.keyIs('error') || !s.skipValue(1)) return undefined;
      continue;
    }
    if ((seen & (1 << bit)) !== 0) return undefined;
    const field = TOP_FIELDS[bit]!;
    if (field === 'choices') {
      prefixEnd = s.pos;
      prefixSeen = seen;
    }
    seen |= 1 << bit;
    const ok =
      field === 'choices'
        ? readChoices(s, choices)
        : field === 'created'
          ? s.number()
          : // A usage object (once per stream, when asked for) is read by the full parse.
            field === 'usage'
            ? s.literal('null')
            : s.string();
    if (!ok) return undefined;
  }
  if (!s.ended) return undefined;
  s.space();
  if (s.pos !== s.t.length) return undefined;
  if (prefixEnd > 0) {
    memo.prefix = s.t.slice(0, prefixEnd);
    memo.prefixSeen = prefixSeen;
  }
  const chunk = { choices };
  learnTextChunk(s, chunk, memo);
  return chunk;
}

const scanner = new ChunkScanner();

/**
 * The chunk's choices (index, delta text, finish reason) when `text` is a chunk this scan can read, as
 * `readOpenAIChunk(JSON.parse(text))` would give them; undefined when the full parse must decide.
 * `memo` is the stream's own (see `ChunkMemo`).
 */
export function scanOpenAIChunk(text: string, memo: ChunkMemo): OpenAIChunkView | undefined {
  scanner.reset(text);
  let chunk = readTextChunk(scanner, memo);
  if (chunk === undefined) {
    scanner.reset(text);
    chunk = readChunk(scanner, memo);
  }
  scanner.reset('');
  return chunk;
}
