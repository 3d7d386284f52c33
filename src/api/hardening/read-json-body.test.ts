import { describe, expect, it } from 'vitest';
import { KeelError } from '../../core/errors.js';
import { inspectJson } from './inspect-json.js';
import { readJsonBody } from './read-json-body.js';

function refusal(body: string | Buffer, limits?: Parameters<typeof readJsonBody>[1]): KeelError {
  try {
    readJsonBody(typeof body === 'string' ? Buffer.from(body) : body, limits);
  } catch (err) {
    if (err instanceof KeelError) return err;
    throw err;
  }
  throw new Error(`accepted: ${String(body).slice(0, 80)}`);
}

describe('readJsonBody', () => {
  it('accepts an ordinary request and returns the parsed JSON', () => {
    const body = { model: 'smart', messages: [{ role: 'user', content: 'hi "there" \\ {[' }], tools: [], max_tokens: 100, temperature: 0.5 };
    expect(readJsonBody(Buffer.from(JSON.stringify(body)))).toEqual(body);
  });

  it('refuses invalid UTF-8 rather than replacing it', () => {
    const err = refusal(Buffer.concat([Buffer.from('{"model":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]));
    expect(err.status).toBe(400);
    expect(err.message).toContain('not valid UTF-8');
  });

  it('refuses nesting deeper than the limit, naming where, without recursing', () => {
    const deep = `{"messages":[{"content":${'['.repeat(100_000)}${']'.repeat(100_000)}}]}`;
    const err = refusal(deep);
    expect(err.status).toBe(400);
    expect(err.message).toContain('deeper than 64 levels');
    expect(err.param).toMatch(/^messages\[0\]\.content/);
    expect(() => readJsonBody(Buffer.from(`${'['.repeat(10)}${']'.repeat(10)}`), { maxJsonDepth: 10, maxMessages: 10, maxTools: 10 })).not.toThrow();
    expect(refusal(`${'['.repeat(11)}${']'.repeat(11)}`, { maxJsonDepth: 10, maxMessages: 10, maxTools: 10 }).status).toBe(400);
  });

  it('refuses duplicate keys at any depth, naming the key (escaped spellings included)', () => {
    expect(refusal('{"model":"a","messages":[],"model":"b"}').message).toContain("Duplicate key 'model'");
    const nested = refusal('{"model":"a","messages":[{"role":"user","content":"x","role":"assistant"}]}');
    expect(nested.param).toBe('messages[0].role');
    expect(refusal('{"model":"a","mod\\u0065l":"b"}').message).toContain("Duplicate key 'model'");
    // The same key in sibling objects is fine.
    expect(() => readJsonBody(Buffer.from('{"messages":[{"role":"user"},{"role":"assistant"}]}'))).not.toThrow();
    // In objects of many keys too, wherever the repeat falls (first seen among the first keys, or later).
    const many = (keys: string[]): string => `{${keys.map((k, i) => `"${k}":${i}`).join(',')}}`;
    const twelve = Array.from({ length: 12 }, (_, i) => `k${i}`);
    expect(() => readJsonBody(Buffer.from(many(twelve)))).not.toThrow();
    for (const [first, again] of [[1, 10], [7, 8], [9, 11]] as const) {
      const keys = [...twelve];
      keys[again] = keys[first]!;
      expect(refusal(many(keys)).message).toContain(`Duplicate key 'k${first}'`);
    }
  });

  it('refuses prototype-pollution keys', () => {
    expect(refusal('{"model":"a","__proto__":{"admin":true}}').message).toContain("'__proto__'");
    expect(refusal('{"x":{"__pro\\u0074o__":1}}').param).toBe('x.__proto__');
    expect(refusal('{"constructor":{"prototype":{"admin":true}}}').message).toContain('constructor.prototype');
    // A tool parameter may be called "constructor"; only its "prototype" child is refused.
    expect(() => readJsonBody(Buffer.from('{"properties":{"constructor":{"type":"string"}}}'))).not.toThrow();
  });

  it('refuses numbers that overflow or lose precision', () => {
    expect(refusal('{"max_tokens":1e308}').param).toBe('max_tokens');
    expect(refusal('{"max_tokens":1e400}').message).toContain('out of range');
    expect(refusal('{"seed":9007199254740993}').message).toContain('too large');
    expect(refusal('{"x":[-1e309]}').param).toBe('x[0]');
    expect(() => readJsonBody(Buffer.from('{"temperature":0.7,"seed":9007199254740991,"top_p":1e-300}'))).not.toThrow();
  });

  it('caps messages and tools, naming the field', () => {
    const limits = { maxJsonDepth: 64, maxMessages: 3, maxTools: 2 };
    const many = (n: number) => Array.from({ length: n }, () => ({ role: 'user', content: 'x' }));
    expect(refusal(JSON.stringify({ messages: many(4) }), limits)).toMatchObject({ status: 400, param: 'messages' });
    expect(refusal(JSON.stringify({ messages: [], tools: [{}, {}, {}] }), limits)).toMatchObject({ status: 400, param: 'tools' });
    expect(() => readJsonBody(Buffer.from(JSON.stringify({ messages: many(3), tools: [{}, {}] })), limits)).not.toThrow();
  });

  it('leaves syntax errors to JSON.parse, with its position', () => {
    expect(refusal('{"model": "a",').message).toMatch(/not valid JSON/);
    expect(refusal('{"a":"unterminated').message).toMatch(/not valid JSON/);
    expect(refusal('').message).toContain('empty');
    expect(refusal('\uFEFF{}').message).toMatch(/not valid JSON/);
  });

  it('never throws anything but a KeelError on arbitrary text', () => {
    const samples = ['{"a":1}}}}', ']]]', '{"a"::}', '{"a":tru}', '"\\"', '{"\\ud800":1}', '{"a":-}', '{,}', '\u0000', '{"a":1,"a"'];
    for (const sample of samples) {
      try {
        inspectJson(sample, 64);
      } catch (err) {
        expect(err).toBeInstanceOf(KeelError);
      }
    }
  });
});

describe('turn caps on the newer surfaces', () => {
  const limits = { maxJsonDepth: 64, maxMessages: 2, maxTools: 2 };
  const body = (json: unknown) => Buffer.from(JSON.stringify(json));

  it('counts Responses input items and Gemini contents like messages, naming the field', () => {
    expect(() => readJsonBody(body({ input: [{}, {}, {}] }), limits)).toThrow(expect.objectContaining({ param: 'input' }));
    expect(() => readJsonBody(body({ contents: [{}, {}, {}] }), limits)).toThrow(expect.objectContaining({ param: 'contents' }));
  });

  it('does not count the strings or token ids of an embeddings input as turns', () => {
    expect(readJsonBody(body({ input: ['a', 'b', 'c'] }), limits)).toEqual({ input: ['a', 'b', 'c'] });
    expect(readJsonBody(body({ input: [1, 2, 3] }), limits)).toEqual({ input: [1, 2, 3] });
  });
});
