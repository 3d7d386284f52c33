// Deliberately broken: the suite's beforeAll throws, so vitest skips both tests and fails the file.
import { beforeAll, describe, expect, it } from 'vitest';

describe('a suite whose set-up fails', () => {
  beforeAll(() => {
    throw new Error('beforeAll failed (a stand-in for a browser that cannot launch)');
  });

  it('would pass', () => {
    expect(true).toBe(true);
  });

  it('would pass too', () => {
    expect(true).toBe(true);
  });
});
