import { describe, expect, it } from 'vitest';
import { swapModel } from './swap-model.js';

const swap = (text: string, model: string): string => swapModel(Buffer.from(text), model).toString('utf8');

describe('swapModel', () => {
  it('replaces only the top-level model and keeps every other byte', () => {
    const body = '{"messages":[{"role":"user","content":"\\"model\\": \\"x\\"","model":"inner"}],\n  "model" : "smart","cache_control":{"model":"keep"},"temperature":1.0}';
    expect(swap(body, 'gpt-4.1')).toBe(body.replace('"model" : "smart"', '"model" : "gpt-4.1"'));
  });

  it('returns the same buffer when the model is already right', () => {
    const body = Buffer.from('{"model":"gpt-4.1","messages":[]}');
    expect(swapModel(body, 'gpt-4.1')).toBe(body);
  });

  it('handles escapes and multibyte text before the model key', () => {
    const body = '{"messages":[{"role":"user","content":"héllo \\\\ ☃"}],"model":"a"}';
    const out = JSON.parse(swap(body, 'b')) as { model: string; messages: { content: string }[] };
    expect(out.model).toBe('b');
    expect(out.messages[0]!.content).toBe('héllo \\ ☃');
  });

  it('escapes a model name that needs it', () => {
    expect(JSON.parse(swap('{"model":"a"}', 'we"ird')).model).toBe('we"ird');
  });

  it('finds the model after long strings full of quotes, backslashes and multibyte text', () => {
    const content = 'a "quoted" word, a \\ backslash, \\" an escaped quote after one, ☃ and "model":"inner" '.repeat(200);
    const body = JSON.stringify({ messages: [{ role: 'user', content }, { role: 'assistant', content: '\\' }], model: 'smart', n: 1 });
    const swapped = swap(body, 'gpt-4.1');
    expect(swapped).toBe(body.replace('"model":"smart"', '"model":"gpt-4.1"'));
    expect(JSON.parse(swapped)).toEqual({ ...JSON.parse(body), model: 'gpt-4.1' });
  });

  it('falls back to re-encoding when the key is written with an escape', () => {
    expect(JSON.parse(swap('{"mod\\u0065l":"a","n":1}', 'b'))).toEqual({ model: 'b', n: 1 });
  });
});
