import { describe, expect, it } from 'vitest';
import { appendJsonMember, editJsonMembers, setJsonMember } from './json-members.js';

const edit = (body: string, drop: string[], prepend: Record<string, unknown> = {}): string =>
  editJsonMembers(Buffer.from(body), { drop, prepend }).toString('utf8');

describe('editJsonMembers', () => {
  it('drops top-level members and keeps the rest byte for byte', () => {
    const body = '{ "model" : "claude", "max_tokens": 1.50e2, "messages": [{"role":"user","content":"a, \\"model\\": b"}], "stream": true }';
    const out = edit(body, ['model', 'stream'], { anthropic_version: 'bedrock-2023-05-31' });
    expect(out).toBe('{"anthropic_version":"bedrock-2023-05-31","max_tokens": 1.50e2,"messages": [{"role":"user","content":"a, \\"model\\": b"}]}');
    expect(JSON.parse(out)).toEqual({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 150, messages: [{ role: 'user', content: 'a, "model": b' }] });
  });

  it('leaves nested members of the same name alone and keeps a client-chosen prepended field', () => {
    const body = '{"anthropic_version":"bedrock-2023-05-31","metadata":{"model":"x"},"model":"m","tools":[{"name":"model"}]}';
    expect(JSON.parse(edit(body, ['model'], { anthropic_version: 'other' }))).toEqual({
      anthropic_version: 'bedrock-2023-05-31',
      metadata: { model: 'x' },
      tools: [{ name: 'model' }],
    });
  });

  it('keeps multi-byte text intact', () => {
    const body = '{"model":"m","messages":[{"role":"user","content":"héllo ✓ 😀"}]}';
    expect(JSON.parse(edit(body, ['model']))).toEqual({ messages: [{ role: 'user', content: 'héllo ✓ 😀' }] });
  });

  it('handles an empty object', () => {
    expect(edit('{}', ['model'], { a: 1 })).toBe('{"a":1}');
  });
});

describe('setJsonMember', () => {
  const set = (body: string, value: (current: unknown) => unknown): string => setJsonMember(Buffer.from(body), 'stream_options', value).toString('utf8');

  it('replaces the member in its place, from its current value, and keeps every other byte', () => {
    const body = '{"model":"m", "stream_options" : {"include_obfuscation":false},"stream":true, "n": 1.0}';
    expect(set(body, (current) => ({ ...(current as object), include_usage: true }))).toBe('{"model":"m","stream_options":{"include_obfuscation":false,"include_usage":true},"stream":true,"n": 1.0}');
  });

  it('adds an absent member last, and reads it as undefined', () => {
    const seen: unknown[] = [];
    expect(set('{"model":"m","metadata":{"stream_options":1}}', (current) => (seen.push(current), { include_usage: true }))).toBe('{"model":"m","metadata":{"stream_options":1},"stream_options":{"include_usage":true}}');
    expect(seen).toEqual([undefined]);
  });

  it('reads the member JSON.parse would (the last of its name) and leaves one', () => {
    const out = set('{"stream_options":{"a":1},"model":"é","stream_options":{"b":"✓"}}', (current) => ({ ...(current as object), include_usage: true }));
    expect(out).toBe('{"model":"é","stream_options":{"b":"✓","include_usage":true}}');
    expect(set('{"stream_options":null}', (current) => ({ was: current }))).toBe('{"stream_options":{"was":null}}');
  });
});

describe('appendJsonMember', () => {
  const append = (body: string): string => appendJsonMember(Buffer.from(body), Buffer.from('"stream_options":{"include_usage":true}')).toString('utf8');

  it('adds the member after the last one, keeping every byte before it', () => {
    expect(append('{"model":"é", "stream":true}')).toBe('{"model":"é", "stream":true,"stream_options":{"include_usage":true}}');
    expect(JSON.parse(append(' {\n  "messages": [{"content":"}"}]\n}\n'))).toEqual({ messages: [{ content: '}' }], stream_options: { include_usage: true } });
  });

  it('adds no comma to an empty object', () => {
    expect(append('{ }')).toBe('{ "stream_options":{"include_usage":true}}');
  });
});
