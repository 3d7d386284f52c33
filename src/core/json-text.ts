/**
 * Scanning JSON text without parsing it, for the few places that edit a client's body in place (swap
 * the model, move fields for a cloud platform) so that every byte they do not touch stays as it was.
 */

/** The index of the closing quote of the JSON string that opens at `start` (or the text's end). */
export function jsonStringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i += 2;
    else if (c === 0x22) return i;
    else i++;
  }
  return i;
}

/** JSON's four whitespace characters. */
export function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
