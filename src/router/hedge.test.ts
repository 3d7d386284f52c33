import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { hedge } from './hedge.js';

type V = 'answer-1' | 'answer-2' | 'next' | 'stop';

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const settle = () => new Promise((r) => setImmediate(r));

function race(clock: ManualClock, first: Promise<V>, second: Promise<V> | undefined, log: string[]) {
  return hedge<V>({
    arm: (fire) => {
      const timer = new AbortController();
      clock.sleep(100, timer.signal).then(fire, () => log.push('disarmed'));
      return () => timer.abort();
    },
    first: (cancel) => {
      cancel.onAbort(() => log.push('first cancelled'));
      return first;
    },
    second: (cancel) => {
      log.push('hedge sent');
      cancel.onAbort(() => log.push('second cancelled'));
      return second;
    },
    isAnswer: (v) => v.startsWith('answer'),
    isStop: (v) => v === 'stop',
    won: (v) => log.push(`won ${v}`),
    discard: (v) => log.push(`discarded ${v}`),
  });
}

describe('hedge', () => {
  it('sends no hedge when the first answers before the delay', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const result = await race(clock, Promise.resolve('answer-1'), Promise.resolve('answer-2'), log);
    expect(result).toBe('answer-1');
    await settle();
    expect(log).toEqual(['won answer-1', 'disarmed']);
    clock.advance(100);
    await settle();
    expect(log).toEqual(['won answer-1', 'disarmed']);
  });

  it('takes the hedge when it answers first, cancelling the slow first and discarding its late answer', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const first = deferred<V>();
    const pending = race(clock, first.promise, Promise.resolve('answer-2'), log);
    await settle();
    clock.advance(100);
    expect(await pending).toBe('answer-2');
    first.resolve('answer-1');
    await settle();
    expect(log).toEqual(['hedge sent', 'first cancelled', 'won answer-2', 'discarded answer-1']);
  });

  it('falls back to the other attempt when the faster one fails', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const first = deferred<V>();
    const pending = race(clock, first.promise, Promise.resolve('next'), log);
    await settle();
    clock.advance(100);
    await settle();
    first.resolve('answer-1');
    expect(await pending).toBe('answer-1');
  });

  it('waits for the first alone when no hedge may be sent', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const first = deferred<V>();
    const pending = race(clock, first.promise, undefined, log);
    await settle();
    clock.advance(100);
    first.resolve('answer-1');
    expect(await pending).toBe('answer-1');
  });

  it('answers with the first attempt\'s failure when it fails before the delay', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    await expect(race(clock, Promise.reject(new Error('boom')), Promise.resolve('answer-2'), log)).rejects.toThrow('boom');
    await settle();
    expect(log).toEqual(['disarmed']);
  });

  it('fails with an entrant that throws, and lets go of the answer the other brings later', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const first = deferred<V>();
    let fail!: (err: Error) => void;
    const second = new Promise<V>((_, reject) => (fail = reject));
    const pending = race(clock, first.promise, second, log);
    await settle();
    clock.advance(100);
    await settle();
    fail(new Error('bug'));
    await expect(pending).rejects.toThrow('bug');
    first.resolve('answer-1');
    await settle();
    expect(log).toEqual(['hedge sent', 'first cancelled', 'second cancelled', 'discarded answer-1']);
  });

  it('answers with the hedge while the first attempt has not settled yet', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const pending = race(clock, new Promise<V>(() => undefined), Promise.resolve('answer-2'), log);
    await settle();
    clock.advance(100);
    expect(await pending).toBe('answer-2');
    expect(log).toEqual(['hedge sent', 'first cancelled', 'won answer-2']);
  });
});
