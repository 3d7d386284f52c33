import { describe, expect, it } from 'vitest';
import { editJsonMembers } from './json-members.js';

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
