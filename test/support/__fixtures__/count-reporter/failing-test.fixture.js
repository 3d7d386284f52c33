// An ordinary failing test inside a suite: it must count once, not once for the test and again for its suite.
import { describe, expect, it } from 'vitest';

describe('a suite', () => {
  it('fails', () => {
    expect(1).toBe(2);
  });
});
