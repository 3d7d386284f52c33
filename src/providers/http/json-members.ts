/**
 * Edits the top-level members of a JSON object body without re-serialising the members it keeps, so a
 * pass-through request reaches its provider with the client's bytes (field order, unknown fields, number
 * formatting) and only Keel's differences applied: Bedrock and Vertex take an Anthropic Messages body with
 * the model in the URL instead of the body and an `anthropic_version` field added; an OpenAI stream is
 * asked for its usage (`setJsonMember`). The body was parsed once already (by the surface), so it is
 * valid JSON.
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
  return objectOf([...head, ...kept]);
}

/**
 * Sets one top-level member to `value(current)`, `current` being the member's value as the client sent it
 * (undefined when absent). The member keeps its place (where JSON.parse would read it: the last of its
 * name; earlier ones are dropped); an absent one is added last. Every other member keeps its bytes.
 */
export function setJsonMember(body: Buffer, key: string, value: (current: unknown) => unknown): Buffer {
  const text = body.toString('latin1');
  const members = topLevelMembers(text);
  const at = members.findLastIndex((m) => m.key === key);
  // Only the member's own span is parsed (as an object of that one member), not the body.
  const current = at === -1 ? undefined : (JSON.parse(`{${Buffer.from(text.slice(members[at]!.start, members[at]!.end), 'latin1').toString('utf8')}}`) as Record<string, unknown>)[key];
  const set = Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value(current))}`, 'utf8');
  const parts = members.flatMap((m, i) => (i === at ? [set] : m.key === key ? [] : [body.subarray(m.start, m.end)]));
  if (at === -1) parts.push(set);
  return objectOf(parts);
}

/**
 * Adds a member, given as its bytes (`"key":value`), after the body's last one: one copy of the body, no
 * scan. Only for a member the body is known not to have (a repeated key would be read by its last).
 */
export function appendJsonMember(body: Buffer, member: Buffer): Buffer {
  let close = body.length - 1;
  while (close > 0 && body[close] !== 0x7d /* } */) close--;
  let last = close - 1;
  while (last > 0 && isJsonSpace(body[last]!)) last--;
  const comma = body[last] === 0x7b /* { */ ? 0 : 1;
  const out = Buffer.allocUnsafe(close + comma + member.length + 1);
  body.copy(out, 0, 0, close);
  if (comma === 1) out[close] = 0x2c; /* , */
  member.copy(out, close + comma);
  out[out.length - 1] = 0x7d;
  return out;
}

/** A JSON object of these members' bytes. */
function objectOf(members: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from('{')];
  members.forEach((part, i) => {
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
