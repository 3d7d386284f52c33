/**
 * Edits the top-level members of a JSON object body without re-serialising the members it keeps, so a
 * pass-through request reaches a cloud-hosted model with the client's bytes (field order, unknown fields,
 * number formatting) and only the platform's differences applied: Bedrock and Vertex take an Anthropic
 * Messages body with the model in the URL instead of the body and an `anthropic_version` field added.
 * The body was parsed once already (by the surface), so it is valid JSON.
 */
import { isJsonSpace, jsonStringEnd } from '../../core/json-text.js';

export interface MemberEdits {
  /** Top-level members to remove (every occurrence). */
  drop: readonly string[];
  /** Members to put first, unless the body already has a member of that name (the client's wins). */
  prepend: Readonly<Record<string, unknown>>;
}

interface Member {
  key: string;
  start: number;
  end: number;
}

export function editJsonMembers(body: Buffer, edits: MemberEdits): Buffer {
  const text = body.toString('latin1'); // byte-preserving: offsets in the string are offsets in the buffer
  const members = topLevelMembers(text);
  const present = new Set(members.map((m) => m.key));
  const head = Object.entries(edits.prepend)
    .filter(([key]) => !present.has(key))
    .map(([key, value]) => Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`, 'utf8'));
  const kept = members.filter((m) => !edits.drop.includes(m.key)).map((m) => body.subarray(m.start, m.end));
  const parts: Buffer[] = [Buffer.from('{')];
  [...head, ...kept].forEach((part, i) => {
    if (i > 0) parts.push(Buffer.from(','));
    parts.push(part);
  });
  parts.push(Buffer.from('}'));
  return Buffer.concat(parts);
}

/** The spans of the top-level members, from the key's opening quote to the end of the value. */
function topLevelMembers(text: string): Member[] {
  const members: Member[] = [];
  let depth = 0;
  let current: { key: string; start: number } | undefined;
  const close = (at: number): void => {
    if (current === undefined) return;
    let end = at;
    while (end > current.start && isJsonSpace(text.charCodeAt(end - 1))) end--;
    members.push({ ...current, end });
    current = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = jsonStringEnd(text, i);
      if (depth === 1 && current === undefined) {
        // Keys are UTF-8 in the buffer; read through latin1 they only compare equal when ASCII, as ours are.
        current = { key: JSON.parse(text.slice(i, end + 1)) as string, start: i };
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth === 1) close(i);
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1) {
      close(i);
    }
  }
  return members;
}
