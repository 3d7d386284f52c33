/**
 * The common OpenAI stream chunk read without `JSON.parse`: one pass over its text that checks it is
 * JSON and takes only what the stream decoder uses (each choice's index, text and finish reason, and a
 * stream's first chunk's id, model and created). A
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
import { JsonCursor } from '../../core/json-cursor.js';
import type { OpenAIChunkChoice, OpenAIChunkDelta, OpenAIChunkView } from './openai-wire-check.js';

/**
 * The cursor over one chunk, and where its delta's `content` string lies (quotes included; -1 when the
 * chunk has none): the text chunk of `ChunkMemo` is learned around it.
 */
class ChunkScanner extends JsonCursor {
  contentStart = -1;
  contentEnd = -1;
  /** Where the delta's `content` key starts. */
  contentKey = -1;
  /** Where the delta's `role` key starts, and the key of the member after it (-1 when none). */
  roleKey = -1;
  afterRoleKey = -1;

  override reset(text: string): void {
    super.reset(text);
    this.contentStart = -1;
    this.roleKey = -1;
    this.afterRoleKey = -1;
  }
}

const DELTA_FIELDS = ['content', 'reasoning_content', 'refusal', 'role'] as const;

function readDelta(s: ChunkScanner, depth: number): OpenAIChunkDelta | undefined {
  if (!s.enterObject(depth)) return undefined;
  const delta: OpenAIChunkDelta = {};
  let seen = 0;
  for (let more = s.firstMember(); more; more = s.nextMember()) {
    if (s.roleKey >= 0 && s.afterRoleKey < 0) s.afterRoleKey = s.keyStart;
    let bit = 0;
    while (bit < DELTA_FIELDS.length && !s.keyIs(DELTA_FIELDS[bit]!)) bit++;
    if (bit < DELTA_FIELDS.length) {
      const start = s.pos;
      const key = s.keyStart;
      if ((seen & (1 << bit)) !== 0 || !s.nullableString()) return undefined;
      seen |= 1 << bit;
      const field = DELTA_FIELDS[bit]!;
      if (field === 'role') s.roleKey = key;
      if (field === 'content' && s.value !== null) {
        s.contentKey = key;
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
  if (!s.enterObject(depth)) return undefined;
  const choice: OpenAIChunkChoice = {};
  for (let more = s.firstMember(); more; more = s.nextMember()) {
    if (s.keyIs('index')) {
      const index = choice.index === undefined ? s.safeInteger() : NaN;
      if (Number.isNaN(index)) return undefined;
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
  if (!s.enterArray(1)) return false;
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

/** The text of a text-only chunk that `memo`'s text chunk spells with another string; undefined when it is not one. */
function readTextChunk(s: ChunkScanner, memo: ChunkMemo): string | undefined {
  const { textHead: head, textTail: tail } = memo;
  const t = s.t;
  const tailAt = t.length - tail.length;
  if (head.length === 0 || tailAt <= head.length || t.slice(0, head.length) !== head || t.slice(tailAt) !== tail) return undefined;
  s.pos = head.length;
  if (!s.nullableString() || s.pos !== tailAt || s.value === null) return undefined;
  return s.value;
}

/** `chunk` (read whole from `s`) is one choice whose delta is only text: its text is all a like chunk varies. */
function learnTextChunk(s: ChunkScanner, chunk: OpenAIChunkView, memo: ChunkMemo): void {
  const choice = chunk.choices!.length === 1 ? chunk.choices![0]! : undefined;
  const delta = choice?.delta;
  if (delta === undefined || s.contentStart < 0 || (choice!.index ?? 0) !== 0 || choice!.finish_reason != null) return;
  if (delta.reasoning_content != null || delta.refusal != null) return;
  // A stream's first text chunk usually carries the role (`"role":"assistant",`) that the next ones leave
  // out. The first head learned leaves it out too when the content member follows it directly: removing
  // a whole member and its comma leaves the same valid chunk without the role. A provider that repeats
  // the role misses that head once, and its next chunk is learned as it is.
  const t = s.t;
  const withoutRole = memo.textHead === '' && s.roleKey >= 0 && s.afterRoleKey === s.contentKey;
  memo.textHead = withoutRole ? t.slice(0, s.roleKey) + t.slice(s.contentKey, s.contentStart) : t.slice(0, s.contentStart);
  memo.textTail = t.slice(s.contentEnd);
}

function readChunk(s: ChunkScanner, memo: ChunkMemo): OpenAIChunkView | undefined {
  const choices: OpenAIChunkChoice[] = [];
  // Read only when the chunk is read whole, as a stream's first chunk always is (its memo is new).
  let id: string | undefined;
  let model: string | undefined;
  let created: number | undefined;
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
    if (!s.enterObject(0)) return undefined;
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
    let ok: boolean;
    if (field === 'choices') {
      // What came before is whole members: a later chunk that repeats it is read from here.
      prefixEnd = s.pos;
      prefixSeen = seen;
      ok = readChoices(s, choices);
    } else if (field === 'usage') {
      // A usage object (once per stream, when asked for) is read by the full parse.
      ok = s.literal('null');
    } else if (field === 'created') {
      const start = s.pos;
      ok = s.number();
      // The same conversion as JSON.parse's: a JSON number's text to the nearest double.
      if (ok) created = Number(s.t.slice(start, s.pos));
    } else {
      ok = s.stringValue();
      if (field === 'id') id = s.value!;
      else model = s.value!;
    }
    seen |= 1 << bit;
    if (!ok) return undefined;
  }
  if (!s.ended) return undefined;
  s.space();
  if (s.pos !== s.t.length) return undefined;
  if (prefixEnd > 0) {
    memo.prefix = s.t.slice(0, prefixEnd);
    memo.prefixSeen = prefixSeen;
  }
  const chunk: OpenAIChunkView = { choices, id, model, created };
  learnTextChunk(s, chunk, memo);
  return chunk;
}

const scanner = new ChunkScanner();

/**
 * The text of `text` when it is a chunk of the stream's common kind (one choice, index 0, whose delta is
 * only that text, no finish): what `memo` learned such a chunk to be, around another string. This is
 * most chunks of a stream, and the decoder reads them through here with nothing built but the string.
 * Undefined when it is not one: `scanWholeChunk` then reads it.
 */
export function scanTextChunk(text: string, memo: ChunkMemo): string | undefined {
  scanner.reset(text);
  const content = readTextChunk(scanner, memo);
  scanner.reset('');
  return content;
}

/** The chunk read whole (not as the memo's text chunk); undefined when the full parse must decide. */
export function scanWholeChunk(text: string, memo: ChunkMemo): OpenAIChunkView | undefined {
  scanner.reset(text);
  const chunk = readChunk(scanner, memo);
  scanner.reset('');
  return chunk;
}
