// Deliberately broken: the only test passes, then the file's afterAll throws, so vitest fails the file.
import { afterAll, expect, it } from 'vitest';

afterAll(() => {
  throw new Error('afterAll failed (a stand-in for a clean-up that could not run)');
});

it('passes', () => {
  expect(true).toBe(true);
});
