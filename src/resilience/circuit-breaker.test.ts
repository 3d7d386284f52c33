import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { OUTCOMES, type Outcome } from '../core/outcome.js';
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitBreakerPermit,
  type CircuitStateChangeEvent,
} from './circuit-breaker.js';

/** random() = 0.5 puts the jitter factor at exactly 1: durations read as their nominal value. */
const noJitter = (): number => 0.5;

function setup(options: Partial<CircuitBreakerOptions> = {}, random: () => number = noJitter) {
  const clock = new ManualClock(1_000_000);
  const breaker = new CircuitBreaker('dep-a', options, clock, random);
  const events: CircuitStateChangeEvent[] = [];
  breaker.on('stateChange', (event) => events.push(event));
  return { clock, breaker, events };
}

function acquire(breaker: CircuitBreaker): CircuitBreakerPermit {
  const result = breaker.tryAcquire();
  if (!result.allowed) throw new Error(`breaker refused; retry at ${result.retryAtMs}`);
  return result.permit;
}

function call(breaker: CircuitBreaker, outcome: Outcome, times = 1): void {
  for (let i = 0; i < times; i++) breaker.onResult(acquire(breaker), outcome);
}

/** Opens the breaker through consecutive failures and returns the time it opened. */
function openIt(breaker: CircuitBreaker, clock: ManualClock): number {
  call(breaker, 'server_error', 5);
  expect(breaker.state.state).toBe('open');
  return clock.now();
}

describe('CircuitBreaker', () => {
  describe('opening', () => {
    it('opens after 5 consecutive provider faults', () => {
      const { breaker, clock, events } = setup();
      call(breaker, 'server_error', 4);
      expect(breaker.state).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
      call(breaker, 'timeout');
      expect(breaker.state).toEqual({ state: 'open', openedAtMs: clock.now(), untilMs: clock.now() + 30_000, openCount: 1 });
      expect(events).toEqual([
        { deploymentId: 'dep-a', from: 'closed', to: 'open', atMs: clock.now(), reason: 'consecutive_failures', untilMs: clock.now() + 30_000 },
      ]);
    });

    it('resets the consecutive count on a success', () => {
      const { breaker } = setup();
      call(breaker, 'overloaded', 4);
      call(breaker, 'ok');
      call(breaker, 'overloaded', 4);
      expect(breaker.state).toMatchObject({ state: 'closed', consecutiveFailures: 4 });
    });

    it('counts client errors as successes (the provider answered)', () => {
      const { breaker } = setup({ minimumRequestsInWindow: 1_000 });
      for (const clientError of ['bad_request', 'auth', 'context_length', 'content_filter'] as const) {
        call(breaker, 'rate_limited', 4);
        call(breaker, clientError);
        expect(breaker.state).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
      }
    });

    it('treats exactly the provider-fault outcomes as failures', () => {
      const failing = OUTCOMES.filter((outcome) => {
        const { breaker } = setup({ consecutiveFailuresToOpen: 1 });
        call(breaker, outcome);
        return breaker.state.state === 'open';
      });
      expect(failing.sort()).toEqual(['connect_error', 'overloaded', 'rate_limited', 'server_error', 'stream_cut', 'timeout']);
    });

    it('opens on a 50% failure rate over the window once it holds 10 calls', () => {
      const { breaker, events } = setup();
      // Alternate so no run of consecutive failures builds up.
      for (let i = 0; i < 4; i++) {
        call(breaker, 'ok');
        call(breaker, 'server_error');
      }
      call(breaker, 'ok');
      expect(breaker.state.state).toBe('closed'); // 9 calls, 4 failures
      call(breaker, 'server_error'); // 10 calls, 5 failures: 50%
      expect(breaker.state.state).toBe('open');
      expect(events.map((e) => e.reason)).toEqual(['failure_rate']);
    });

    it('respects the minimum volume: a high rate on few calls does not open', () => {
      const { breaker } = setup({ consecutiveFailuresToOpen: 100 });
      call(breaker, 'ok');
      call(breaker, 'server_error', 8); // 9 calls, 89% failed
      expect(breaker.state.state).toBe('closed');
      call(breaker, 'server_error');
      expect(breaker.state.state).toBe('open');
    });

    it('stays closed below the threshold', () => {
      const { breaker } = setup({ consecutiveFailuresToOpen: 100 });
      for (let i = 0; i < 20; i++) call(breaker, i % 5 >= 3 ? 'server_error' : 'ok'); // never above 40%
      expect(breaker.state.state).toBe('closed');
    });

    it('judges the rate over a sliding 30 s window only', () => {
      const { breaker, clock } = setup({ consecutiveFailuresToOpen: 100 });
      call(breaker, 'server_error', 9);
      clock.advance(30_000); // those 9 fall out of the window
      call(breaker, 'ok', 5);
      call(breaker, 'server_error', 4);
      expect(breaker.state.state).toBe('closed'); // 9 calls in window
      call(breaker, 'server_error');
      expect(breaker.state.state).toBe('open'); // 10 calls, 5 failed
    });
  });

  describe('open and half-open', () => {
    it('refuses calls while open and tells when to come back', () => {
      const { breaker, clock } = setup();
      const openedAtMs = openIt(breaker, clock);
      clock.advance(29_999);
      expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAtMs: openedAtMs + 30_000 });
      expect(breaker.isOpen()).toBe(true);
    });

    it('turns half-open after the open duration and admits one probe', () => {
      const { breaker, clock, events } = setup();
      openIt(breaker, clock);
      clock.advance(30_000);
      expect(breaker.isOpen()).toBe(false);
      const probe = breaker.tryAcquire();
      expect(probe).toMatchObject({ allowed: true, permit: { kind: 'probe' } });
      expect(breaker.state).toMatchObject({ state: 'half_open', probesInFlight: 1, openCount: 1 });
      expect(events.at(-1)).toMatchObject({ from: 'open', to: 'half_open', reason: 'open_duration_elapsed', atMs: clock.now() });
      // Further calls wait for the probe.
      expect(breaker.tryAcquire()).toMatchObject({ allowed: false });
    });

    it('admits halfOpenMaxProbes probes', () => {
      const { breaker, clock } = setup({ halfOpenMaxProbes: 3 });
      openIt(breaker, clock);
      clock.advance(30_000);
      const results = [1, 2, 3, 4].map(() => breaker.tryAcquire().allowed);
      expect(results).toEqual([true, true, true, false]);
    });

    it('closes on a probe success and resets the open duration', () => {
      const { breaker, clock, events } = setup();
      openIt(breaker, clock);
      clock.advance(30_000);
      breaker.onResult(acquire(breaker), 'server_error'); // re-open: 60 s
      clock.advance(60_000);
      breaker.onResult(acquire(breaker), 'ok');
      expect(breaker.state).toEqual({ state: 'closed', consecutiveFailures: 0, window: { buckets: [] } });
      expect(events.map((e) => `${e.from}->${e.to}:${e.reason}`)).toEqual([
        'closed->open:consecutive_failures',
        'open->half_open:open_duration_elapsed',
        'half_open->open:probe_failed',
        'open->half_open:open_duration_elapsed',
        'half_open->closed:probe_succeeded',
      ]);
      const openedAtMs = openIt(breaker, clock);
      expect(breaker.state).toMatchObject({ openCount: 1, untilMs: openedAtMs + 30_000 });
    });

    it('closes on a probe answered with a client error (the provider is up)', () => {
      const { breaker, clock } = setup();
      openIt(breaker, clock);
      clock.advance(30_000);
      breaker.onResult(acquire(breaker), 'bad_request');
      expect(breaker.state.state).toBe('closed');
    });

    it('re-opens on a probe failure with a doubled duration, capped at 300 s', () => {
      const { breaker, clock } = setup();
      openIt(breaker, clock);
      const durations: number[] = [];
      for (let i = 0; i < 7; i++) {
        const state = breaker.state;
        if (state.state !== 'open') throw new Error('expected open');
        durations.push(state.untilMs - state.openedAtMs);
        clock.advance(state.untilMs - clock.now());
        breaker.onResult(acquire(breaker), 'connect_error');
      }
      expect(durations).toEqual([30_000, 60_000, 120_000, 240_000, 300_000, 300_000, 300_000]);
      expect(breaker.state).toMatchObject({ state: 'open', openCount: 8 });
    });

    it('jitters the open duration by at most ±10%', () => {
      const nominal = [30_000, 60_000, 120_000, 240_000, 300_000];
      for (const [draw, factor] of [
        [0, 0.9],
        [0.999_999_999, 1.1],
        [0.25, 0.95],
      ] as const) {
        const { breaker, clock } = setup({}, () => draw);
        openIt(breaker, clock);
        for (const nominalMs of nominal) {
          const state = breaker.state;
          if (state.state !== 'open') throw new Error('expected open');
          expect(state.untilMs - state.openedAtMs).toBe(Math.round(nominalMs * factor));
          clock.advance(state.untilMs - clock.now());
          breaker.onResult(acquire(breaker), 'server_error');
        }
      }
    });

    it('ignores results of calls admitted before it opened', () => {
      const { breaker, clock } = setup();
      const slow = acquire(breaker);
      openIt(breaker, clock);
      breaker.onResult(slow, 'ok');
      expect(breaker.state.state).toBe('open');
      clock.advance(30_000);
      const probe = acquire(breaker);
      breaker.onResult(slow, 'ok'); // still not the probe
      expect(breaker.state.state).toBe('half_open');
      breaker.onResult(probe, 'ok');
      expect(breaker.state.state).toBe('closed');
    });

    it('frees the probe slot when a probe is released without a result', () => {
      const { breaker, clock } = setup();
      openIt(breaker, clock);
      clock.advance(30_000);
      breaker.release(acquire(breaker));
      expect(breaker.tryAcquire().allowed).toBe(true);
    });

    it('presumes a probe lost after halfOpenProbeTimeoutMs and admits another', () => {
      const { breaker, clock } = setup({ halfOpenProbeTimeoutMs: 60_000 });
      openIt(breaker, clock);
      clock.advance(30_000);
      acquire(breaker);
      expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAtMs: clock.now() + 60_000 });
      clock.advance(60_000);
      expect(breaker.tryAcquire().allowed).toBe(true);
    });
  });

  describe('last resort', () => {
    it('closes on a last-resort success, and a last-resort failure does not lengthen the open period', () => {
      const { breaker, clock } = setup();
      openIt(breaker, clock);
      const before = breaker.state;
      breaker.onResult(breaker.acquireLastResort(), 'server_error');
      expect(breaker.state).toEqual(before);
      expect(breaker.toJSON().lastFailureAtMs).toBe(clock.now());
      breaker.onResult(breaker.acquireLastResort(), 'ok');
      expect(breaker.state.state).toBe('closed');
    });
  });

  describe('forcing', () => {
    it('forceOpen holds it open with no probes until forceClose', () => {
      const { breaker, clock, events } = setup();
      breaker.forceOpen();
      expect(breaker.tryAcquire()).toEqual({ allowed: false, retryAtMs: Number.POSITIVE_INFINITY });
      clock.advance(10 * 60 * 60 * 1000);
      expect(breaker.tryAcquire().allowed).toBe(false);
      expect(breaker.isOpen()).toBe(true);
      breaker.onResult(breaker.acquireLastResort(), 'ok');
      expect(breaker.state.state).toBe('forced_open');
      breaker.forceClose();
      expect(breaker.tryAcquire().allowed).toBe(true);
      expect(events.map((e) => [e.from, e.to, e.reason])).toEqual([
        ['closed', 'forced_open', 'forced_open'],
        ['forced_open', 'closed', 'forced_close'],
      ]);
    });

    it('forceClose resets the open count of a breaker that kept failing', () => {
      const { breaker, clock } = setup();
      openIt(breaker, clock);
      clock.advance(30_000);
      breaker.onResult(acquire(breaker), 'server_error');
      expect(breaker.state).toMatchObject({ openCount: 2 });
      breaker.forceClose();
      openIt(breaker, clock);
      expect(breaker.state).toMatchObject({ openCount: 1 });
    });

    it('forceClose on a closed breaker forgets its failures without an event', () => {
      const { breaker, events } = setup();
      call(breaker, 'server_error', 4);
      breaker.forceClose();
      expect(breaker.state).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
      expect(events).toEqual([]);
    });
  });

  describe('state', () => {
    it('serialises to JSON and can be restored through its store', async () => {
      const { breaker, clock } = setup();
      openIt(breaker, clock);
      const json = JSON.parse(JSON.stringify(breaker));
      expect(json).toEqual({
        deploymentId: 'dep-a',
        epoch: 1,
        lastFailureAtMs: clock.now(),
        state: { state: 'open', openedAtMs: clock.now(), untilMs: clock.now() + 30_000, openCount: 1 },
      });
      const { MemoryStateStore } = await import('./state-store.js');
      const store = new MemoryStateStore<typeof json>();
      store.set('dep-a', json);
      const restored = new CircuitBreaker('dep-a', { store }, clock, noJitter);
      expect(restored.isOpen()).toBe(true);
    });

    it('hands out copies, not its own state', () => {
      const { breaker } = setup();
      const state = breaker.state;
      if (state.state === 'closed') state.consecutiveFailures = 99;
      expect(breaker.state).toMatchObject({ consecutiveFailures: 0 });
    });

    it('refuses a permit of another deployment and nonsense options', () => {
      const { breaker } = setup();
      const other = new CircuitBreaker('dep-b', {}, new ManualClock());
      const foreign = other.tryAcquire();
      if (!foreign.allowed) throw new Error('unexpected');
      expect(() => breaker.onResult(foreign.permit, 'ok')).toThrow(/dep-b/);
      expect(() => new CircuitBreaker('x', { failureRateThreshold: 0 })).toThrow(RangeError);
      expect(() => new CircuitBreaker('x', { openDurationMaxMs: 1 })).toThrow(RangeError);
    });
  });
});

describe('CircuitBreaker recovery probes and trips', () => {
  it('a recovery probe answered while open closes the breaker at once; a failed one changes nothing', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker('d', { consecutiveFailuresToOpen: 1 }, clock, () => 0.5);
    const admitted = breaker.tryAcquire();
    if (!admitted.allowed) throw new Error('closed breaker refused');
    breaker.onResult(admitted.permit, 'overloaded');
    expect(breaker.state.state).toBe('open');
    const failed = breaker.acquireRecoveryProbe();
    breaker.onResult(failed, 'timeout');
    expect(breaker.state.state).toBe('open');
    const events: string[] = [];
    breaker.on('stateChange', (e) => events.push(`${e.from}->${e.to}:${e.reason}`));
    breaker.onResult(breaker.acquireRecoveryProbe(), 'ok');
    expect(breaker.state.state).toBe('closed');
    expect(events).toEqual(['open->closed:recovery_probe_succeeded']);
  });

  it('trips open at once on an exhausted quota, and leaves a forced-open breaker alone', () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker('d', {}, clock, () => 0.5);
    breaker.trip('quota_exhausted');
    expect(breaker.state).toMatchObject({ state: 'open', openCount: 1 });
    const forced = new CircuitBreaker('f', {}, clock, () => 0.5);
    forced.forceOpen();
    forced.trip('quota_exhausted');
    expect(forced.state.state).toBe('forced_open');
  });
});
