import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { BreakerRegistry, RESILIENCE_DEFAULTS } from '../resilience/index.js';
import { RecoveryProber } from './recovery-prober.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup(options: { answers: () => boolean; maxPerDay?: number }) {
  const clock = new ManualClock(0);
  const breakers = new BreakerRegistry({}, clock, () => 0.5);
  const probes: number[] = [];
  const prober = new RecoveryProber({
    settings: { ...RESILIENCE_DEFAULTS.recoveryProbe, maxPerDay: options.maxPerDay ?? 5_000 },
    clock,
    random: () => 0.5,
    breakers: () => breakers,
    knows: () => true,
    probe: async (id) => {
      probes.push(clock.now());
      const breaker = breakers.get(id);
      const permit = breaker.acquireRecoveryProbe();
      const ok = options.answers();
      breaker.onResult(permit, ok ? 'ok' : 'timeout');
      return ok;
    },
  });
  breakers.on('stateChange', (e) => prober.onBreaker(e));
  const open = () => {
    for (let i = 0; i < 5; i++) {
      const admitted = breakers.get('p').tryAcquire();
      if (admitted.allowed) breakers.get('p').onResult(admitted.permit, 'overloaded');
    }
  };
  return { clock, breakers, prober, probes, open };
}

async function advance(clock: ManualClock, ms: number, stepMs = 100): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await settle();
  }
}

describe('RecoveryProber', () => {
  it('probes an open breaker every ~2 s and closes it with the first answer, long before its open period ends', async () => {
    let healthy = false;
    const { clock, breakers, probes, open, prober } = setup({ answers: () => healthy });
    open();
    expect(breakers.get('p').state.state).toBe('open');
    await advance(clock, 6_100);
    expect(probes).toEqual([2_000, 4_000, 6_000]);
    healthy = true;
    await advance(clock, 2_000);
    expect(breakers.get('p').state.state).toBe('closed');
    expect(prober.watching()).toEqual([]);
    // The breaker alone would have stayed open for 30 s.
    expect(clock.now()).toBeLessThan(RESILIENCE_DEFAULTS.circuitBreaker.openDurationBaseMs);
  });

  it('after forget, a breaker that opens again is first probed a whole interval later, not by an old loop', async () => {
    const { clock, breakers, probes, open, prober } = setup({ answers: () => false });
    open();
    await advance(clock, 1_500);
    prober.forget();
    expect(prober.watching()).toEqual([]);
    breakers.get('p').forceClose();
    open(); // opens again at 1.5 s: its first probe is due at 3.5 s, not when the old loop would wake (2 s)
    await advance(clock, 1_000);
    expect(probes).toEqual([]);
    await advance(clock, 1_100);
    expect(probes).toEqual([3_500]);
  });

  it('slows to every 5 s after five minutes open, still within 10 s of a recovery', async () => {
    const { clock, probes, open } = setup({ answers: () => false });
    open();
    await advance(clock, 320_000, 1_000);
    const late = probes.filter((t) => t > 305_000);
    expect(late.length).toBeGreaterThan(1);
    for (let i = 1; i < late.length; i++) expect(late[i]! - late[i - 1]!).toBeLessThanOrEqual(6_000);
  });

  it('stops at the daily cap', async () => {
    const { clock, probes, open } = setup({ answers: () => false, maxPerDay: 3 });
    open();
    await advance(clock, 20_000, 500);
    expect(probes).toHaveLength(3);
  });

  it('does not probe on a replica that is not the leader, and takes over open breakers when it becomes one', async () => {
    const { clock, probes, open, prober } = setup({ answers: () => false });
    prober.setActive(false);
    open();
    await advance(clock, 5_000);
    expect(probes).toEqual([]);
    prober.setActive(true);
    await advance(clock, 2_100);
    expect(probes).toHaveLength(1);
  });

  it('never probes a breaker an operator forced open', async () => {
    const { clock, breakers, probes } = setup({ answers: () => true });
    breakers.get('p').forceOpen();
    await advance(clock, 5_000);
    expect(probes).toEqual([]);
  });
});
