import { describe, expect, it } from 'vitest';
import { planReply, sampleArgs, splitArgs, tokenize, type NeutralRequest, type ReplyPlan } from './reply-plan.js';

function request(overrides: Partial<NeutralRequest> = {}): NeutralRequest {
  return {
    model: 'm1', stream: false, streamUsage: false, inputChars: 40, lastUserText: 'hello there',
    endsWithUser: true, toolResults: [], imageCount: 0, tools: [], toolChoice: { type: 'auto' },
    maxTokens: null, stopSequences: [], jsonMode: false, thinking: false,
    ...overrides,
  };
}

function plan(overrides: Partial<NeutralRequest> = {}, reply?: string): ReplyPlan {
  const result = planReply(request(overrides), reply === undefined ? undefined : { name: 'm1', reply });
  if (!result.ok) throw new Error('expected a plan');
  return result.plan;
}

describe('tokenize', () => {
  it('keeps leading whitespace so joining reproduces the text', () => {
    const text = 'Hello  from\tm1.\nYou said: x ';
    const tokens = tokenize(text);
    expect(tokens.join('')).toBe(text);
    expect(tokens[0]).toBe('Hello');
    expect(tokens[1]).toBe('  from');
  });
  it('returns no tokens for empty text', () => {
    expect(tokenize('')).toEqual([]);
  });
});

describe('planReply', () => {
  it('echoes the first 30 words of the last user text', () => {
    const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ');
    const p = plan({ lastUserText: words });
    expect(p.text).toBe(`Hello from m1. You said: ${words.split(' ').slice(0, 30).join(' ')}`);
    expect(p.finish).toBe('stop');
    expect(p.outputTokens).toBe(p.tokens.length);
    expect(p.inputTokens).toBe(10);
  });

  it('uses the model spec reply', () => {
    expect(plan({}, 'Fixed answer').text).toBe('Fixed answer');
  });

  it('truncates at max tokens with finish length', () => {
    const p = plan({ maxTokens: 3 });
    expect(p.tokens).toEqual(['Hello', ' from', ' m1.']);
    expect(p.text).toBe('Hello from m1.');
    expect(p.finish).toBe('length');
  });

  it('cuts before the earliest stop sequence', () => {
    const p = plan({ stopSequences: ['said', 'from'] });
    expect(p.text).toBe('Hello ');
    expect(p.finish).toBe('stop_sequence');
    expect(p.stopSequence).toBe('from');
  });

  it('notices images and wraps JSON mode', () => {
    expect(plan({ imageCount: 2 }).text.startsWith('I see 2 image(s). Hello from m1.')).toBe(true);
    const json = JSON.parse(plan({ jsonMode: true }).text) as { reply: string };
    expect(json.reply).toBe('Hello from m1. You said: hello there');
  });

  it('calls the first tool, a forced tool, or every tool in parallel', () => {
    const tools = [
      { name: 'a', schema: { type: 'object', properties: { q: { type: 'string' } } } },
      { name: 'b', schema: {} },
      { name: 'c', schema: {} },
      { name: 'd', schema: {} },
    ];
    expect(plan({ tools }).toolCalls.map((c) => c.name)).toEqual(['a']);
    expect(plan({ tools, toolChoice: { type: 'tool', name: 'c' } }).toolCalls.map((c) => c.name)).toEqual(['c']);
    expect(plan({ tools, lastUserText: 'do it in parallel please' }).toolCalls.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(plan({ tools, toolChoice: { type: 'none' } }).toolCalls).toEqual([]);
    const p = plan({ tools });
    expect(p.finish).toBe('tool_calls');
    expect(p.toolCalls[0]?.argsJson).toBe('{"q":"sample"}');
    expect(p.outputTokens).toBe(Math.ceil('{"q":"sample"}'.length / 4));
  });

  it('answers a tool result with text instead of another call', () => {
    const p = plan({
      tools: [{ name: 'a', schema: {} }],
      endsWithUser: false,
      toolResults: [{ name: 'a', text: 'x'.repeat(150) }],
    });
    expect(p.toolCalls).toEqual([]);
    expect(p.text).toBe(`Tool a returned: ${'x'.repeat(100)}`);
  });

  it('refuses input beyond the context window', () => {
    const result = planReply(request({ inputChars: 4001 }), { name: 'm1', contextWindow: 1000 });
    expect(result).toEqual({ ok: false, inputTokens: 1001, contextWindow: 1000 });
  });

  it('emits thinking tokens when asked', () => {
    const p = plan({ thinking: true });
    expect(p.thinkingTokens.length).toBeGreaterThan(0);
    expect(p.outputTokens).toBe(p.tokens.length + p.thinkingTokens.length);
  });
});

describe('sampleArgs', () => {
  it('fills required properties by type', () => {
    const schema = {
      type: 'object',
      properties: {
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        count: { type: 'integer' },
        ratio: { type: 'NUMBER' },
        on: { type: 'boolean' },
        list: { type: 'array' },
        nested: { type: 'object' },
        name: { type: ['string', 'null'] },
        optional: { type: 'string' },
      },
      required: ['unit', 'count', 'ratio', 'on', 'list', 'nested', 'name'],
    };
    expect(sampleArgs(schema)).toEqual({ unit: 'celsius', count: 1, ratio: 1, on: true, list: [], nested: {}, name: 'sample' });
  });
  it('fills every property when none is required', () => {
    expect(sampleArgs({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'boolean' } } })).toEqual({ a: 'sample', b: true });
    expect(sampleArgs(undefined)).toEqual({});
  });
});

describe('splitArgs', () => {
  it('splits into about three pieces that join back', () => {
    const json = '{"location":"sample","unit":"celsius"}';
    const pieces = splitArgs(json);
    expect(pieces.length).toBe(3);
    expect(pieces.join('')).toBe(json);
  });
});
