import { describe, expect, it } from 'vitest';
import { FaultBook, FaultSpecError, parseFaultSpec } from './faults.js';

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

describe('parseFaultSpec', () => {
  it('accepts valid faults', () => {
    expect(parseFaultSpec({ type: 'error', status: 429, retryAfterS: 2, times: 1 })).toEqual({
      type: 'error', status: 429, retryAfterS: 2, times: 1,
    });
    expect(parseFaultSpec({ type: 'stream_stall', afterTokens: 2 }).type).toBe('stream_stall');
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
  ])('rejects %j', (input, message) => {
    expect(() => parseFaultSpec(input)).toThrow(FaultSpecError);
    expect(() => parseFaultSpec(input)).toThrow(message);
  });
});
