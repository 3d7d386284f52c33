import { afterEach, describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from './typed-emitter.js';

interface Events extends Record<string, unknown> {
  tick: { n: number };
}

describe('TypedEmitter', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('delivers events to listeners until they unsubscribe', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    const off = emitter.on('tick', ({ n }) => seen.push(n));
    emitter.emit('tick', { n: 1 });
    off();
    emitter.emit('tick', { n: 2 });
    expect(seen).toEqual([1]);
  });

  it('keeps a throwing listener from breaking the emitter or other listeners', () => {
    const deferred: (() => void)[] = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => deferred.push(task));
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    emitter.on('tick', () => {
      throw new Error('telemetry bug');
    });
    emitter.on('tick', ({ n }) => seen.push(n));
    expect(() => emitter.emit('tick', { n: 1 })).not.toThrow();
    expect(seen).toEqual([1]);
    // The error is rethrown outside the emitter's caller, not swallowed.
    expect(deferred).toHaveLength(1);
    expect(() => deferred[0]?.()).toThrow('telemetry bug');
  });

  it('lets a listener added or removed during an event take effect from the next event', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: string[] = [];
    const late = ({ n }: { n: number }) => seen.push(`late ${n}`);
    let offSecond = (): void => undefined;
    emitter.on('tick', ({ n }) => {
      seen.push(`first ${n}`);
      if (n === 1) {
        emitter.on('tick', late);
        offSecond();
      }
    });
    offSecond = emitter.on('tick', ({ n }) => seen.push(`second ${n}`));
    emitter.emit('tick', { n: 1 });
    emitter.emit('tick', { n: 2 });
    expect(seen).toEqual(['first 1', 'second 1', 'first 2', 'late 2']);
  });

  it('calls a listener added twice once, and forgets it on one removal', () => {
    const emitter = new TypedEmitter<Events>();
    const seen: number[] = [];
    const listener = ({ n }: { n: number }) => seen.push(n);
    emitter.on('tick', listener);
    const off = emitter.on('tick', listener);
    emitter.emit('tick', { n: 1 });
    off();
    emitter.emit('tick', { n: 2 });
    expect(seen).toEqual([1]);
  });
});
