/**
 * Reading JSON text in place, for hot paths where `JSON.parse` would build objects that are thrown away:
 * a cursor that checks the text is JSON as it goes (strings, escapes, numbers, literals, nesting) and
 * lets its caller read the few members it wants and skip the rest unbuilt. It answers only "this is JSON
 * of the shape asked for" or "give up"; a caller that gives up falls back to `JSON.parse`, which decides.
 * Its one reader today is the OpenAI stream chunk scan (providers/openai/openai-chunk-scan.ts).
 */
import { BACKSLASH, isJsonSpace, QUOTE } from './json-text.js';

const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Deeper than the texts this reads nest; past it the cursor gives up (and its caller decides). */
const MAX_DEPTH = 32;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/**
 * A cursor over one JSON text. Every method moves `pos` past what it read and answers false when the
 * text is not what it expects (the reader then gives up); `charCodeAt` past the end is NaN, which matches
 * nothing, so no bound is checked twice.
 */
export class JsonCursor {
  t = '';
  pos = 0;
  /** The string just passed holds an escape: its value is not its text. */
  escaped = false;
  /** The bounds of the last key read, its quotes included. */
  keyStart = 0;
  keyEnd = 0;
  /** The value `nullableString` just read. */
  value: string | null = null;

  reset(text: string): void {
    this.t = text;
    this.pos = 0;
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

  /** Past an object's `{` (and the space after it) at a nesting `depth` still allowed. */
  enterObject(depth: number): boolean {
    return depth < MAX_DEPTH && this.take(OPEN_OBJECT);
  }

  /** Past an array's `[` (and the space after it) at a nesting `depth` still allowed. */
  enterArray(depth: number): boolean {
    return depth < MAX_DEPTH && this.take(OPEN_ARRAY);
  }

  /** A number, as its value when that is a safe integer (`1.0` is); NaN otherwise. */
  safeInteger(): number {
    const start = this.pos;
    if (!this.number()) return NaN;
    const n = this.pos === start + 1 ? this.t.charCodeAt(start) - 0x30 : Number(this.t.slice(start, this.pos));
    return Number.isSafeInteger(n) ? n : NaN;
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
    return this.stringValue();
  }

  /** A string, its value in `value`. */
  stringValue(): boolean {
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
      if (!this.enterObject(depth)) return false;
      for (let more = this.firstMember(); more; more = this.nextMember()) if (!this.skipValue(depth + 1)) return false;
      return this.ended;
    }
    if (c === OPEN_ARRAY) {
      if (!this.enterArray(depth)) return false;
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
