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
    const attempt = deadline.childSignal(1_000);
    const gone = new Error('client disconnected');
    client.abort(gone);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(gone);
    expect(attempt.reason).toBe(gone);
    expect(deadline.expired).toBe(false);
  });

  it('gives an attempt its own timeout when it is shorter than the time left', async () => {
    const clock = new ManualClock();
    const deadline = new Deadline({ budgetMs: 10_000, clock });
    const attempt = deadline.childSignal(2_000);
    clock.advance(1_999);
    await flush();
    expect(attempt.aborted).toBe(false);
    clock.advance(1);
    await flush();
    expect(attempt.aborted).toBe(true);
    expect(attempt.reason).toMatchObject({ name: 'TimeoutError', message: 'attempt timed out after 2000 ms' });
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.expired).toBe(false);
  });

  it('cuts an attempt timeout to the remaining deadline', async () => {
    const clock = new ManualClock();
    const deadline = new Deadline({ budgetMs: 10_000, clock });
    clock.advance(9_000);
    const attempt = deadline.childSignal(5_000);
    clock.advance(1_000);
    await flush();
    expect(attempt.aborted).toBe(true);
    expect(attempt.reason).toMatchObject({ name: 'TimeoutError', message: 'request deadline of 10000 ms exceeded' });
    expect(deadline.expired).toBe(true);
  });

  it('aborts with the reasons the caller supplies', async () => {
    const clock = new ManualClock();
    const timeoutReason = (kind: string, ms: number): Error => new Error(`${kind}:${ms}`);
    const deadline = new Deadline({ budgetMs: 5_000, clock, timeoutReason });
    const attempt = deadline.childSignal(1_000);
    clock.advance(1_000);
    await flush();
    expect(attempt.reason).toEqual(new Error('attempt:1000'));
    clock.advance(4_000);
    await flush();
    expect(deadline.signal.reason).toEqual(new Error('deadline:5000'));
  });

  it('hands out an aborted signal once the budget is spent', async () => {
    const clock = new ManualClock();
    expect(new Deadline({ budgetMs: 0, clock }).signal.aborted).toBe(true);
    const deadline = new Deadline({ budgetMs: 100, clock });
    clock.advance(100);
    await flush();
    expect(deadline.childSignal(1_000).aborted).toBe(true);
  });

  it('dispose cancels every pending timer', async () => {
    const clock = new ManualClock();
    const deadline = new Deadline({ budgetMs: 10_000, clock });
    const attempt = deadline.childSignal(1_000);
    deadline.dispose();
    clock.advance(60_000);
    await flush();
    expect(attempt.aborted).toBe(false);
    expect(deadline.signal.aborted).toBe(false);
  });

  it('dispose clears real timers of the system clock (nothing keeps the process alive)', () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const deadline = new Deadline({ budgetMs: 60 * 60 * 1000 });
    deadline.childSignal(30 * 60 * 1000);
    expect(timers()).toBe(before + 2);
    deadline.dispose();
    expect(timers()).toBe(before);
  });
});
