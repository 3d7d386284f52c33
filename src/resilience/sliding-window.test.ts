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

  it('is plain JSON', () => {
    const window = emptyWindow<'a'>();
    addToWindow(window, shape, 1_234, 'a');
    expect(JSON.parse(JSON.stringify(window))).toEqual(window);
  });
});
