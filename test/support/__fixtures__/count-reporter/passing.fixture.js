// A healthy file: one passing test, so a run of it alone must read "1 passed, 0 failed, 0 skipped".
import { expect, it } from 'vitest';

it('passes', () => {
  expect(true).toBe(true);
});
