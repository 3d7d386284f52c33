/**
 * Provider API keys must never leave Keel: not in logs, error bodies, metrics or the status page. Every
 * secret Keel loads is registered here, and every text that crosses a boundary (an upstream error message
 * relayed to a client, a log line) goes through `redact`.
 */
const MIN_SECRET_LENGTH = 6; // shorter values would redact ordinary words

/**
 * Up to this many secrets are found by one regular expression, which V8 compiles in a few ms and runs
 * fastest of all (a 250-character log line in 0.1 µs); past it, by `SecretIndex`, which never blocks but
 * reads about 3 ns a character.
 */
const REGEX_MAX_SECRETS = 256;

interface Redactor {
  redact(text: string): string;
}

export class SecretRegistry {
  private readonly secrets = new Set<string>();
  private index: Redactor | undefined;
  /** Rebuilt at the first redaction after an `add`: registering 10,000 keys one by one was quadratic. */
  private stale = false;

  /** `regexUpTo`: for tests, how many secrets one regular expression finds before `SecretIndex` does. */
  constructor(private readonly regexUpTo = REGEX_MAX_SECRETS) {}

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.stale = true;
  }

  redact(text: string): string {
    if (this.stale) {
      this.stale = false;
      this.index = this.secrets.size <= this.regexUpTo ? new SecretPattern(this.secrets) : new SecretIndex(this.secrets);
    }
    return this.index === undefined ? text : this.index.redact(text);
  }

  values(): string[] {
    return [...this.secrets];
  }
}

const REDACTED = '[REDACTED]';

/** One alternation of the secrets, longest first, so a secret that contains another is removed whole. */
class SecretPattern implements Redactor {
  private readonly pattern: RegExp;

  constructor(secrets: Iterable<string>) {
    const escaped = [...secrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.pattern = new RegExp(escaped.join('|'), 'g');
  }

  redact(text: string): string {
    return text.replace(this.pattern, REDACTED);
  }
}

/** Every secret is at least this long, so its first `WINDOW` characters always exist. */
const WINDOW = MIN_SECRET_LENGTH;
const BASE = 31;
const FILTER_MASK = 0xffff;
const KEY_MASK = 0x3fffffff; // a small integer: a Map key V8 keeps unboxed

/**
 * Finds every secret in a text in one pass, without a regular expression. One alternation of all the
 * secrets had V8 spend 40 ms (1,000 config keys) to 640 ms (10,000) of blocked event loop compiling it at
 * the first redaction after any change: an error answer or a log line. Here each secret is indexed by a
 * hash of its first `WINDOW` characters; the text's windows are hashed as they roll by, a 64 Ki-entry
 * filter passes over nearly every position, and the few left are checked against their candidates, longest
 * first, so a secret that contains another is removed whole (the regex's order). Building it is linear in
 * the secrets' length.
 */
class SecretIndex implements Redactor {
  private readonly filter = new Uint8Array(FILTER_MASK + 1);
  private readonly candidates = new Map<number, string[]>();
  /** BASE^(WINDOW-1), to take a window's first character out of its hash. */
  private readonly lead: number;

  constructor(secrets: Iterable<string>) {
    let lead = 1;
    for (let i = 1; i < WINDOW; i++) lead = Math.imul(lead, BASE);
    this.lead = lead;
    for (const secret of secrets) {
      const h = hashAt(secret, 0);
      this.filter[h & FILTER_MASK] = 1;
      const list = this.candidates.get(h & KEY_MASK);
      if (list === undefined) this.candidates.set(h & KEY_MASK, [secret]);
      else list.push(secret);
    }
    for (const list of this.candidates.values()) list.sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    const n = text.length;
    if (n < WINDOW) return text;
    let out = '';
    let copied = 0; // text before this is in `out` already
    let at = 0;
    let h = hashAt(text, 0);
    for (;;) {
      const found = this.filter[h & FILTER_MASK] === 0 ? undefined : this.match(text, at, h);
      if (found !== undefined) {
        out += text.slice(copied, at) + REDACTED;
        copied = at + found.length;
        at = copied;
        if (at + WINDOW > n) break;
        h = hashAt(text, at);
        continue;
      }
      if (at + WINDOW >= n) break;
      h = (Math.imul(h - Math.imul(text.charCodeAt(at), this.lead), BASE) + text.charCodeAt(at + WINDOW)) | 0;
      at += 1;
    }
    return copied === 0 ? text : out + text.slice(copied);
  }

  private match(text: string, at: number, h: number): string | undefined {
    const list = this.candidates.get(h & KEY_MASK);
    if (list === undefined) return undefined;
    for (const secret of list) if (text.startsWith(secret, at)) return secret;
    return undefined;
  }
}

/** The hash of `text`'s `WINDOW` characters from `at` (there are that many). */
function hashAt(text: string, at: number): number {
  let h = 0;
  for (let i = at; i < at + WINDOW; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

/** The process-wide registry: keys are process-wide too (they come from the environment and files). */
export const secrets = new SecretRegistry();
