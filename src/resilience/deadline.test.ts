import { getEventListeners } from 'node:events';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { Deadline } from './deadline.js';

/** Lets the promise callbacks of a ManualClock sleep that just woke run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Deadline', () => {
  it('counts down the remaining budget and expires at the deadline', async () => {
    const clock = new ManualClock(1_000);
    const deadline = new Deadline({ budgetMs: 5_000, clock });
    expect(deadline.remainingMs()).toBe(5_000);
    clock.advance(4_999);
    await flush();
    expect(deadline.remainingMs()).toBe(1);
    expect(deadline.expired).toBe(false);
    expect(deadline.signal.aborted).toBe(false);
    clock.advance(1);
    await flush();
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.expired).toBe(true);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toMatchObject({ name: 'TimeoutError' });
    clock.advance(10_000);
    expect(deadline.remainingMs()).toBe(0);
  });

  it('aborts with the client when the parent signal aborts, without being expired', () => {
    const clock = new ManualClock();
    const client = new AbortController();
    const deadline = new Deadline({ budgetMs: 5_000, clock, parentSignal: client.signal });
    const gone = new Error('client disconnected');
    client.abort(gone);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(gone);
    expect(deadline.expired).toBe(false);
  });

  it('aborts with the reason the caller supplies', async () => {
    const clock = new ManualClock();
    const timeoutReason = (kind: string, ms: number): Error => new Error(`${kind}:${ms}`);
    const deadline = new Deadline({ budgetMs: 5_000, clock, timeoutReason });
    clock.advance(5_000);
    await flush();
    expect(deadline.signal.reason).toEqual(new Error('deadline:5000'));
  });

  it('hands out an aborted signal when there is no budget or the client already left', () => {
    const clock = new ManualClock();
    expect(new Deadline({ budgetMs: 0, clock }).signal.aborted).toBe(true);
    const client = new AbortController();
    client.abort(new Error('gone'));
    expect(new Deadline({ budgetMs: 1_000, clock, parentSignal: client.signal }).signal.reason).toEqual(new Error('gone'));
  });

  it('dispose cancels the timer and stops watching the client, so a finished request holds nothing alive', async () => {
    const clock = new ManualClock();
    const client = new AbortController();
    const deadline = new Deadline({ budgetMs: 10_000, clock, parentSignal: client.signal });
    expect(getEventListeners(client.signal, 'abort')).toHaveLength(1);
    deadline.dispose();
    expect(getEventListeners(client.signal, 'abort')).toHaveLength(0);
    clock.advance(60_000);
    client.abort(new Error('late'));
    await flush();
    expect(deadline.signal.aborted).toBe(false);
  });

  it('a deadline listened to and disposed is garbage: no signal of it outlives the request', async () => {
    // Node keeps an `AbortSignal.any` signal that has listeners alive until it aborts; a deadline built on
    // one leaked every hedged request. This one must be collectable once disposed.
    const client = new AbortController();
    const refs: WeakRef<AbortSignal>[] = [];
    for (let i = 0; i < 200; i++) {
      const deadline = new Deadline({ budgetMs: 60_000, clock: new ManualClock(), parentSignal: client.signal });
      deadline.signal.addEventListener('abort', () => undefined, { once: true });
      refs.push(new WeakRef(deadline.signal));
      deadline.dispose();
    }
    await new Promise((resolve) => setImmediate(resolve));
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
    expect(refs.filter((ref) => ref.deref() !== undefined).length).toBeLessThan(200);
  });

  it('dispose clears the real timer of the system clock (nothing keeps the process alive)', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const deadline = new Deadline({ budgetMs: 60 * 60 * 1000 });
    expect(timers()).toBe(before + 1);
    deadline.dispose();
    expect(timers()).toBe(before);
  });

  it('tells its watchers once, with the reason, and a detached watcher not at all', async () => {
    const clock = new ManualClock();
    const deadline = new Deadline({ budgetMs: 1_000, clock });
    const heard: unknown[] = [];
    deadline.onAbort((reason) => heard.push(reason));
    const detach = deadline.onAbort(() => heard.push('detached, yet told'));
    detach();
    expect(deadline.aborted).toBe(false);
    clock.advance(1_000);
    await flush();
    expect(deadline.aborted).toBe(true);
    expect(heard).toEqual([deadline.reason]);
    expect(deadline.reason).toMatchObject({ name: 'TimeoutError' });
    // A watcher that comes after the abort is not called: it reads `aborted` first, as for a signal.
    deadline.onAbort(() => heard.push('late'));
    expect(heard).toHaveLength(1);
  });

  it('makes its AbortSignal only when asked, and that signal follows the deadline', async () => {
    const clock = new ManualClock();
    const client = new AbortController();
    const deadline = new Deadline({ budgetMs: 1_000, clock, parentSignal: client.signal });
    const signal = deadline.signal;
    expect(deadline.signal).toBe(signal);
    expect(signal.aborted).toBe(false);
    const gone = new Error('client left');
    client.abort(gone);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(gone);
    expect(deadline.reason).toBe(gone);
  });
});
