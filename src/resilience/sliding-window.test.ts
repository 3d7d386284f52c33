import { describe, expect, it } from 'vitest';
import { addToWindow, emptyWindow, sumWindow } from './sliding-window.js';

const shape = { windowMs: 10_000, bucketMs: 1_000 };

describe('sliding window', () => {
  it('sums what fell in the last windowMs, a bucket at a time', () => {
    const window = emptyWindow<'a' | 'b'>();
    addToWindow(window, shape, 0, 'a');
    addToWindow(window, shape, 500, 'a');
    addToWindow(window, shape, 5_000, 'b', 3);
    expect(sumWindow(window, shape, 9_999, ['a', 'b'])).toEqual({ a: 2, b: 3 });
    // At 10 s the bucket [0, 1 s) leaves the window.
    expect(sumWindow(window, shape, 10_000, ['a', 'b'])).toEqual({ a: 0, b: 3 });
    expect(sumWindow(window, shape, 15_000, ['a', 'b'])).toEqual({ a: 0, b: 0 });
    expect(window.buckets).toEqual([]);
  });

  it('keeps at most windowMs / bucketMs buckets', () => {
    const window = emptyWindow<'a'>();
    for (let t = 0; t < 60_000; t += 250) addToWindow(window, shape, t, 'a');
    expect(window.buckets.length).toBe(10);
    expect(sumWindow(window, shape, 59_999, ['a'])).toEqual({ a: 40 });
  });

  it('adds to the newest bucket when the clock steps backwards', () => {
    const window = emptyWindow<'a'>();
    addToWindow(window, shape, 5_500, 'a');
    addToWindow(window, shape, 3_000, 'a');
    expect(window.buckets).toEqual([{ startMs: 5_000, counts: { a: 2 } }]);
  });

  it('reads the same totals as summing its buckets, as buckets slide out over many windows', () => {
    const state = emptyWindow<'a' | 'b'>();
    const shape = { windowMs: 10_000, bucketMs: 1_000 };
    let seed = 7;
    const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let nowMs = 0; nowMs < 60_000; nowMs += Math.floor(random() * 700)) {
      addToWindow(state, shape, nowMs, random() < 0.5 ? 'a' : 'b', 1 + Math.floor(random() * 3));
      const read = sumWindow(state, shape, nowMs, ['a', 'b']);
      const summed = { a: 0, b: 0 };
      for (const bucket of state.buckets) for (const field of ['a', 'b'] as const) summed[field] += bucket.counts[field] ?? 0;
      expect(read).toEqual(summed);
    }
    // A state loaded from a store (a copy) is summed afresh.
    const loaded = JSON.parse(JSON.stringify(state)) as typeof state;
    expect(sumWindow(loaded, shape, 60_000, ['a', 'b'])).toEqual(sumWindow(state, shape, 60_000, ['a', 'b']));
  });

  it('is plain JSON', () => {
    const window = emptyWindow<'a'>();
    addToWindow(window, shape, 1_234, 'a');
    expect(JSON.parse(JSON.stringify(window))).toEqual(window);
  });
});
