/**
 * Scanning JSON text without parsing it, for the few places that edit a client's body in place (swap
 * the model, move fields for a cloud platform) so that every byte they do not touch stays as it was, and
 * for the body inspector that looks for what JSON.parse would let through (duplicate keys, depth); and a
 * parse that answers undefined for text that is not JSON.
 */

/** The character codes of the double quote and the backslash, shared with the in-place cursor (json-cursor.ts). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;

/**
 * The index of the closing quote of the JSON string that opens at `start` (or the text's length when it
 * never closes). Strings are most of a request's bytes (the conversation), so they are skipped with the
 * native `indexOf`, a quote at a time, not character by character: a quote closes the string when an
 * even number of backslashes precedes it.
 */
export function jsonStringEnd(text: string, start: number): number {
  for (let from = start + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return text.length;
    let backslashes = 0;
    for (let k = quote - 1; k > start && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** `jsonStringEnd` on the UTF-8 bytes themselves (no byte of a multibyte character is a quote or a backslash). */
export function jsonStringEndInBytes(body: Buffer, start: number): number {
  for (let from = start + 1; ; ) {
    const quote = body.indexOf(QUOTE, from);
    if (quote === -1) return body.length;
    let backslashes = 0;
    for (let k = quote - 1; k > start && body[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    from = quote + 1;
  }
}

/** JSON's four whitespace characters. */
export function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** JSON text parsed, or undefined when it is not JSON (for input that is dropped, never refused, when broken). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
