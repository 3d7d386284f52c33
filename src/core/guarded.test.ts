import { describe, expect, it } from 'vitest';
import { guarded } from './guarded.js';

describe('guarded', () => {
  it('hands the event to the listener', () => {
    const seen: number[] = [];
    const listener = guarded((n: number) => seen.push(n), () => undefined);
    listener(1);
    listener(2);
    expect(seen).toEqual([1, 2]);
  });

  it("reports what the listener throws to onError instead of throwing it to the emitter", () => {
    const errors: unknown[] = [];
    const listener = guarded(
      (n: number) => {
        if (n === 2) throw new Error('bad event');
      },
      (error) => errors.push(error),
    );
    expect(() => listener(1)).not.toThrow();
    expect(() => listener(2)).not.toThrow();
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('bad event');
  });
});
