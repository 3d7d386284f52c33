import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { StreamTimeoutError } from '../providers/http/network-failure.js';
import { Abortable, watchSignal } from '../resilience/index.js';
import { AttemptClock } from './attempt-clock.js';
import type { AttemptLimits } from './attempt-norms.js';

const settle = () => new Promise((r) => setImmediate(r));

function start(limits: Partial<AttemptLimits>, parent = new AbortController()) {
  const clock = new ManualClock(0);
  const log: string[] = [];
  const attempt = new AttemptClock({
    clock,
    limits: { headersOverdueMs: undefined, firstTokenOverdueMs: undefined, firstTokenLimitMs: 10_000, idleLimitMs: 5_000, ...limits },
    parent: watchSignal(parent.signal),
    onOverdue: () => log.push(`overdue at ${clock.now()}`),
  });
  return { clock, attempt, log, parent };
}

/** The durations of the timers armed on `clock` from now on. */
function armedTimers(clock: ManualClock): number[] {
  const armed: number[] = [];
  const setTimer = clock.setTimer.bind(clock);
  clock.setTimer = (ms, fire) => (armed.push(ms), setTimer(ms, fire));
  return armed;
}

describe('AttemptClock', () => {
  it('is overdue past the first-token norm, once, and cuts the attempt at its limit with a timeout', async () => {
    const { clock, attempt, log } = start({ firstTokenOverdueMs: 1_000 });
    clock.advance(999);
    await settle();
    expect(log).toEqual([]);
    clock.advance(1);
    await settle();
    expect(log).toEqual(['overdue at 1000']);
    expect(attempt.overdueAtMs).toBe(1_000);
    clock.advance(9_000);
    await settle();
    expect(attempt.signal.aborted).toBe(true);
    expect(attempt.signal.reason).toBeInstanceOf(StreamTimeoutError);
    expect(log).toHaveLength(1);
  });

  it('is overdue early when even the headers are late against their norm', async () => {
    const { clock, attempt, log } = start({ headersOverdueMs: 300, firstTokenOverdueMs: 1_000 });
    clock.advance(300);
    await settle();
    expect(log).toEqual(['overdue at 300']);
    expect(attempt.overdueAtMs).toBe(300);
  });

  it('is never overdue when the headers and first token come in time', async () => {
    const { clock, attempt, log } = start({ headersOverdueMs: 300, firstTokenOverdueMs: 1_000 });
    clock.advance(200);
    attempt.markHeaders();
    clock.advance(500);
    expect(attempt.markFirstToken()).toBe(700);
    clock.advance(60_000);
    await settle();
    expect(log).toEqual([]);
    expect(attempt.signal.aborted).toBe(false);
  });

  it('keeps one timer for an answer that comes in time, and still keeps every later deadline when the headers came', async () => {
    const { clock, attempt, log } = start({ headersOverdueMs: 300, firstTokenOverdueMs: 1_000 });
    const armed = armedTimers(clock);
    clock.advance(200);
    attempt.markHeaders();
    clock.advance(100);
    await settle();
    // The headers' deadline passed after they came: nothing is overdue, the first token's deadline stands.
    expect(log).toEqual([]);
    clock.advance(699);
    await settle();
    expect(log).toEqual([]);
    clock.advance(1);
    await settle();
    expect(log).toEqual(['overdue at 1000']);
    // The timer armed at the start fired early (at 300) and armed the rest from there: 700 ms, then 9,000.
    expect(armed).toEqual([700, 9_000]);

    const quick = start({ headersOverdueMs: 300, firstTokenOverdueMs: 1_000 });
    const quickArmed = armedTimers(quick.clock);
    quick.clock.advance(1);
    quick.attempt.markHeaders();
    quick.clock.advance(1);
    quick.attempt.markFirstToken();
    quick.attempt.end();
    expect(quickArmed).toEqual([]); // the constructor's timer (armed before the spy) was the only one
    quick.clock.advance(60_000);
    await settle();
    expect(quick.log).toEqual([]);
  });

  it('without a norm it is never overdue, and the configured limit alone cuts', async () => {
    const { clock, attempt, log } = start({});
    clock.advance(9_999);
    await settle();
    expect(attempt.signal.aborted).toBe(false);
    clock.advance(1);
    await settle();
    expect(attempt.signal.aborted).toBe(true);
    expect(log).toEqual([]);
  });

  it("cuts no later than the request's remaining budget, and never at once", async () => {
    for (const [budgetMs, cutAt] of [
      [2_500, 2_500],
      [0, 1],
    ] as const) {
      const clock = new ManualClock(0);
      const attempt = new AttemptClock({ clock, limits: { headersOverdueMs: undefined, firstTokenOverdueMs: undefined, firstTokenLimitMs: 10_000, idleLimitMs: 5_000 }, budgetMs, parent: new Abortable() });
      clock.advance(cutAt - 1);
      await settle();
      expect(attempt.signal.aborted).toBe(false);
      clock.advance(1);
      await settle();
      expect(attempt.signal.reason).toBeInstanceOf(StreamTimeoutError);
    }
  });

  it('aborts with the parent (client gone, deadline, lost hedge), keeping its reason', () => {
    const parent = new AbortController();
    const { attempt } = start({}, parent);
    parent.abort(new Error('hedge lost'));
    expect(attempt.signal.aborted).toBe(true);
    expect((attempt.signal.reason as Error).message).toBe('hedge lost');
  });

  it("follows a hedge race's cancel: aborted at once when the race is already lost, later with the race's reason, never once ended", () => {
    const limits = { headersOverdueMs: undefined, firstTokenOverdueMs: undefined, firstTokenLimitMs: 10_000, idleLimitMs: 5_000 };
    const clock = new ManualClock(0);
    const parent = watchSignal(new AbortController().signal);
    const lost = new Abortable();
    lost.abort(new Error('hedge lost'));
    const late = new AttemptClock({ clock, limits, parent, cancel: lost });
    expect((late.signal.reason as Error).message).toBe('hedge lost');

    const race = new Abortable();
    const ended = new AttemptClock({ clock, limits, parent, cancel: race });
    ended.end(); // that attempt is over (a retry follows)
    const running = new AttemptClock({ clock, limits, parent, cancel: race });
    race.abort(new Error('the other won'));
    expect((running.signal.reason as Error).message).toBe('the other won');
    expect(ended.signal.aborted).toBe(false);
  });

  it('stops watching the parent once ended', () => {
    const parent = new AbortController();
    const { attempt } = start({}, parent);
    attempt.markFirstToken();
    attempt.end();
    parent.abort();
    expect(attempt.signal.aborted).toBe(false);
  });
});
