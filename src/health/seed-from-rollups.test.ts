/**
 * Seeding a new leader's health windows from the store's rollups, on a ManualClock: a takeover in the
 * middle of an outage the new leader did not watch still opens one incident whose impact starts at the
 * fault, and seeding never counts a minute the windows watched live.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { ManualIntervalTimer } from '../store/interval-timer.js';
import { RollupRecorder } from '../store/rollup-recorder.js';
import type { RollupRow } from '../store/store.js';
import { HealthWindows } from './health-windows.js';
import { IncidentDetector } from './incident-detector.js';
import { seedFromRollups, seedFromStore } from './seed-from-rollups.js';
import { MemoryStore } from './__fixtures__/memory-store.js';
import { settle, SyntheticTraffic } from './__fixtures__/synthetic-traffic.js';

const S = 1_000;
const M = 60_000;
const T = Date.UTC(2025, 0, 1, 12); // the fault starts here, minute-aligned
const DEPLOYMENTS = [
  { id: 'gpt-direct', provider: 'openai' as const },
  { id: 'claude-direct', provider: 'anthropic' as const },
];

function row(id: string, minute: number, outcomes: Record<string, number>, source: RollupRow['source'] = 'client'): RollupRow {
  return { minute, scope: 'deployment', id, source, outcomes, latencyHistogram: [], ttftHistogram: [], latencySumMs: 0, inputTokens: 0, outputTokens: 0, cost: 0 };
}

/**
 * A replica that leads (windows + detector on the traffic), every replica's attempts reaching the store
 * through a recorder, and a way to kill the leader: it stops hearing anything, saves nothing more, and
 * never hands over.
 */
async function cluster(clock: ManualClock) {
  const store = new MemoryStore();
  const traffic = new SyntheticTraffic(clock, DEPLOYMENTS);
  const timer = new ManualIntervalTimer();
  const recorder = new RollupRecorder({ store, priceOf: () => undefined, timer: timer.schedule });
  recorder.attach(traffic.events);
  const replica = (watching: boolean) => {
    const windows = new HealthWindows({ clock, deployments: DEPLOYMENTS });
    let n = 0;
    const detector = new IncidentDetector({ store, health: windows, clock, newId: () => `inc-${++n}` });
    const detach = watching ? [windows.attach(traffic.events), detector.attach(traffic.events)] : [];
    return { windows, detector, detach };
  };
  /** Simulated time: a client request every 2 s, rollups flushed every 5 s, detectors ticking on the clock. */
  const run = async (ms: number): Promise<void> => {
    for (let elapsed = 0; elapsed < ms; elapsed += S) {
      clock.advance(S);
      if (clock.now() % (2 * S) === 0) traffic.request();
      if (clock.now() % (5 * S) === 0) {
        timer.fire();
        await recorder.flush();
      }
      await settle();
    }
  };
  return { store, traffic, replica, run };
}

describe('seedFromStore on taking over the detector', () => {
  it('carries an outage across a leader change: one incident, impact from the fault, not the takeover', async () => {
    const clock = new ManualClock(T - 5 * M);
    const { store, traffic, replica, run } = await cluster(clock);
    const a = replica(true);
    await a.detector.start();
    await run(5 * M); // healthy up to T
    traffic.faults.set('gpt-direct', 'server_error');
    await run(40 * S); // A sees the fault, but 40 s is short of the minute it takes to open an incident
    expect(store.data.incidents.size).toBe(0);

    // A is killed: it hears nothing more and evaluates nothing more.
    for (const off of a.detach) off();
    await a.detector.stop();
    await run(5 * S); // the lease expires

    // B takes over with windows that watched none of it (it restarted, or its peers' outcomes were lost).
    const b = replica(true);
    const seeded = await seedFromStore(store, b.windows, clock.now());
    expect(seeded.minutes).toBeGreaterThan(0);
    await b.detector.start();
    await run(2 * M);

    const incidents = [...store.data.incidents.values()];
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ component: 'deployment:gpt-direct', impactStart: T });
    // It opened on B's watch, a minute after the fault started, not a minute after the takeover.
    expect(incidents[0]!.openedAt).toBeGreaterThanOrEqual(T + 45 * S);
    expect(incidents[0]!.openedAt).toBeLessThanOrEqual(T + 70 * S);
    await b.detector.stop();
  });

  it('without the history, the same takeover judges the outage as starting late (or not at all)', async () => {
    const clock = new ManualClock(T - 5 * M);
    const { store, traffic, replica, run } = await cluster(clock);
    await run(5 * M);
    traffic.faults.set('gpt-direct', 'server_error');
    await run(45 * S);
    const b = replica(true);
    await b.detector.start();
    await run(2 * M);
    const incidents = [...store.data.incidents.values()];
    expect(incidents.every((i) => i.impactStart > T)).toBe(true);
    await b.detector.stop();
  });
});

describe('seedFromRollups', () => {
  it('adds only minutes the windows did not watch, so seeding twice adds nothing', () => {
    const clock = new ManualClock(T + 3 * M + 30 * S);
    const windows = new HealthWindows({ clock, deployments: DEPLOYMENTS });
    // Live: one ok attempt in minute T+3.
    windows.recordAttempt({ requestId: 'r1', deployment: 'gpt-direct', outcome: 'ok', startedAtMs: T + 3 * M + 5 * S, latencyMs: 100 });
    const rows = [
      row('gpt-direct', T + M, { server_error: 8, ok: 2 }),
      row('gpt-direct', T + M, { server_error: 1 }, 'probe'),
      row('gpt-direct', T + 2 * M, { server_error: 10 }),
      row('gpt-direct', T + 3 * M, { server_error: 50 }), // watched live: the live minute wins
      row('gpt-direct', T - 10 * M, { server_error: 50 }), // older than the long window
      row('unknown', T + 2 * M, { server_error: 50 }), // not a deployment of this replica
    ];
    expect(seedFromRollups(windows, rows, clock.now())).toEqual({ minutes: 2, attempts: 21 });
    const long = windows.evaluateDeployment('gpt-direct').long;
    expect(long).toMatchObject({ attempts: 22, probes: 1, successes: 3, faults: 19 });
    expect(seedFromRollups(windows, rows, clock.now())).toEqual({ minutes: 0, attempts: 0 });
    expect(windows.evaluateDeployment('gpt-direct').long.attempts).toBe(22);
    // Seeded minutes are judged like live ones: the bad run starts at the first seeded minute, and the live
    // success after it is newer evidence that ends the run.
    expect(windows.badRun('gpt-direct', T + 2 * M + 50 * S)?.startMs).toBe(T + M);
    expect(windows.badRun('gpt-direct')).toBeUndefined();
  });

  it('ignores route rows and empty rows', () => {
    const clock = new ManualClock(T + M);
    const windows = new HealthWindows({ clock, deployments: DEPLOYMENTS });
    const routeRow = { ...row('gpt-direct', T, { ok: 5 }), scope: 'route' as const };
    expect(seedFromRollups(windows, [routeRow, row('claude-direct', T, {})], clock.now())).toEqual({ minutes: 0, attempts: 0 });
    expect(windows.covers('claude-direct', T, T + M)).toBe(false);
  });

  it('seeds the minute the windows began watching in, since its start was not watched — once', () => {
    const clock = new ManualClock(T + 40 * S);
    const windows = new HealthWindows({ clock, deployments: DEPLOYMENTS });
    windows.attach(new SyntheticTraffic(clock, DEPLOYMENTS).events); // a replica that started at T + 40 s
    windows.recordAttempt({ requestId: 'r1', deployment: 'gpt-direct', outcome: 'server_error', startedAtMs: T + 41 * S, latencyMs: 100 });
    clock.advance(10 * S);
    // The store has the whole minute: the failures from T on, its own one at T + 41 s among them.
    const rows = [row('gpt-direct', T - M, { ok: 20 }), row('gpt-direct', T, { server_error: 12, ok: 1 })];
    expect(seedFromRollups(windows, rows, clock.now())).toEqual({ minutes: 2, attempts: 33 });
    expect(windows.badRun('gpt-direct')?.startMs).toBe(T);
    expect(seedFromRollups(windows, rows, clock.now())).toEqual({ minutes: 0, attempts: 0 });
    // A minute watched from its start is left to the live windows.
    clock.advance(M);
    windows.recordAttempt({ requestId: 'r2', deployment: 'gpt-direct', outcome: 'ok', startedAtMs: T + M + 5 * S, latencyMs: 100 });
    expect(seedFromRollups(windows, [row('gpt-direct', T + M, { server_error: 30 })], clock.now())).toEqual({ minutes: 0, attempts: 0 });
  });
});
