import { describe, expect, it } from 'vitest';
import { drawChoice, FaultBook, FaultSpecError, parseFaultSpec } from './faults.js';

function hits(book: FaultBook, model: string, n: number): boolean[] {
  return Array.from({ length: n }, () => book.take(model) !== null);
}

describe('FaultBook', () => {
  it('decides rate hits deterministically from the seed', () => {
    const a = new FaultBook(42);
    const b = new FaultBook(42);
    a.set('m', { type: 'reset', rate: 0.5 });
    b.set('m', { type: 'reset', rate: 0.5 });
    const first = hits(a, 'm', 50);
    expect(hits(b, 'm', 50)).toEqual(first);
    const count = first.filter(Boolean).length;
    expect(count).toBeGreaterThan(10);
    expect(count).toBeLessThan(40);
    // A reset replays the same sequence.
    a.clear();
    a.set('m', { type: 'reset', rate: 0.5 });
    expect(hits(a, 'm', 50)).toEqual(first);
  });

  it('clears itself after `times` hits', () => {
    const book = new FaultBook(1);
    book.set('m', { type: 'hang', times: 2 });
    expect(hits(book, 'm', 4)).toEqual([true, true, false, false]);
    expect(book.list()).toEqual({});
  });

  it('lets a model fault shadow the wildcard', () => {
    const book = new FaultBook(1);
    book.set('*', { type: 'hang' });
    book.set('m', { type: 'reset' });
    expect(book.take('m')?.type).toBe('reset');
    expect(book.take('other')?.type).toBe('hang');
    book.set('m', null);
    expect(book.take('m')?.type).toBe('hang');
  });
});

describe('mix', () => {
  const mix = { type: 'mix', faults: [{ type: 'hang' }, { type: 'stream_stall', afterTokens: 2 }, { type: 'reset', weight: 2 }] } as const;
  const draws = (book: FaultBook, n: number): (string | null)[] => Array.from({ length: n }, () => book.take('m')?.type ?? null);

  it('draws one of its faults per hit, in proportion to the weights, the same on every run', () => {
    const a = new FaultBook(9);
    const b = new FaultBook(9);
    a.set('m', { ...mix });
    b.set('m', { ...mix });
    const first = draws(a, 400);
    expect(draws(b, 400)).toEqual(first);
    const count = (type: string): number => first.filter((t) => t === type).length;
    // Expected 100 / 100 / 200: wide bounds, the point is that every fault is drawn and weight counts.
    expect(count('hang')).toBeGreaterThan(60);
    expect(count('stream_stall')).toBeGreaterThan(60);
    expect(count('reset')).toBeGreaterThan(count('hang'));
    expect(count('reset')).toBeGreaterThan(count('stream_stall'));
    expect(first).not.toContain(null);
  });

  it("hands the request the drawn fault itself, without the mix's weight", () => {
    const book = new FaultBook(1);
    book.set('m', { type: 'mix', faults: [{ type: 'stream_stall', afterTokens: 3, ms: 50, weight: 5 }] });
    expect(book.take('m')).toEqual({ type: 'stream_stall', afterTokens: 3, ms: 50 });
  });

  it('hits only its rate of requests, and its `times` counts hits of any of its faults', () => {
    const book = new FaultBook(3);
    book.set('m', { ...mix, rate: 0.25 });
    const hitCount = draws(book, 400).filter((t) => t !== null).length;
    expect(hitCount).toBeGreaterThan(60);
    expect(hitCount).toBeLessThan(140);
    book.set('m', { ...mix, times: 3 });
    expect(draws(book, 5).map((t) => t !== null)).toEqual([true, true, true, false, false]);
  });

  it('gives each fault a share of the draw proportional to its weight', () => {
    const choices = [{ type: 'hang' as const, weight: 1 }, { type: 'reset' as const, weight: 3 }];
    expect(drawChoice(choices, 0).type).toBe('hang');
    expect(drawChoice(choices, 0.24).type).toBe('hang');
    expect(drawChoice(choices, 0.26).type).toBe('reset');
    expect(drawChoice(choices, 0.999999).type).toBe('reset');
  });
});

describe('parseFaultSpec', () => {
  it('accepts valid faults', () => {
    expect(parseFaultSpec({ type: 'error', status: 429, retryAfterS: 2, times: 1 })).toEqual({
      type: 'error', status: 429, retryAfterS: 2, times: 1,
    });
    expect(parseFaultSpec({ type: 'stream_stall', afterTokens: 2 }).type).toBe('stream_stall');
    expect(parseFaultSpec({ type: 'body_hang' }).type).toBe('body_hang');
    expect(parseFaultSpec({ type: 'body_hang', ms: 100 }).type).toBe('body_hang');
    const mix = { type: 'mix', rate: 0.4, faults: [{ type: 'hang', weight: 2 }, { type: 'stream_stall', afterTokens: 2 }, { type: 'reset' }] };
    expect(parseFaultSpec(mix)).toEqual(mix);
  });
  it.each([
    [{ type: 'nope' }, 'fault.type'],
    [{ type: 'error' }, 'fault.status'],
    [{ type: 'error', status: 200 }, 'fault.status'],
    [{ type: 'latency', ms: -1 }, 'fault.ms'],
    [{ type: 'stream_cut' }, 'fault.afterTokens'],
    [{ type: 'reset', rate: 2 }, 'fault.rate'],
    [{ type: 'reset', times: 0 }, 'fault.times'],
    [{ type: 'error', status: 500, kind: 'weird' }, 'fault.kind'],
    [{ type: 'error', status: 500, headers: { a: 1 } }, 'fault.headers'],
    ['reset', 'object'],
    [{ type: 'body_hang', ms: -5 }, 'fault.ms'],
    [{ type: 'mix' }, 'fault.faults must be a non-empty list'],
    [{ type: 'mix', faults: [] }, 'fault.faults must be a non-empty list'],
    [{ type: 'mix', faults: [{ type: 'hang' }, { type: 'stream_stall' }] }, 'fault.faults[1].afterTokens'],
    [{ type: 'mix', faults: [{ type: 'hang', weight: 0 }] }, 'fault.faults[0].weight must be a positive number'],
    [{ type: 'mix', faults: [{ type: 'hang', rate: 0.5 }] }, 'fault.faults[0].rate is not allowed'],
    [{ type: 'mix', faults: [{ type: 'mix', faults: [{ type: 'hang' }] }] }, 'fault.faults[0].type must not be mix'],
    [{ type: 'mix', faults: ['hang'] }, 'fault.faults[0] must be an object'],
  ])('rejects %j', (input, message) => {
    expect(() => parseFaultSpec(input)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(input)).toThrow(message);
  });
});
