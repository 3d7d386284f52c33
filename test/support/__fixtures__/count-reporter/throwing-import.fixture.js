// Deliberately broken: its import throws, so this file fails to load and none of its tests is collected.
import { expect, it } from 'vitest';
import './throws-when-loaded.js';

it('never collected', () => {
  expect(true).toBe(true);
});
