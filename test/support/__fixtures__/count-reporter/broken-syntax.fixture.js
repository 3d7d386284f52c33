// Deliberately broken: a syntax error, so this file fails to load and none of its tests is ever collected.
import { expect, it } from 'vitest';

it('never collected', () => {
  const = 1;
  expect(true).toBe(true);
});
