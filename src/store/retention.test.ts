import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { ManualIntervalTimer } from './interval-timer.js';
import { RETENTION_DEFAULTS, retentionCutoffs, scheduleRetention } from './retention.js';
import { SqliteStore } from './sqlite-store.js';
import { incident, rollup } from './store-contract.js';
import type { Store } from './store.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 0, 1);
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('retention', () => {
  it('cuts rollups and resolved incidents at 400 days and samples at 30 by default', () => {
    expect(retentionCutoffs(NOW)).toEqual({ rollupsBefore: NOW - 400 * DAY, samplesBefore: NOW - 30 * DAY, incidentsBefore: NOW - 400 * DAY, responsesBefore: NOW - 30 * DAY });
    expect(retentionCutoffs(NOW, { samplesDays: 7 }).samplesBefore).toBe(NOW - 7 * DAY);
  });

  it('prunes at start and then daily, at the clock time of each run, one run at a time', async () => {
    const clock = new ManualClock(NOW);
    const timer = new ManualIntervalTimer();
    const calls: number[] = [];
    let release: () => void = () => {};
    const store: Pick<Store, 'prune'> = {
      prune: async (cutoffs) => {
        calls.push(cutoffs.samplesBefore);
        await new Promise<void>((resolve) => (release = resolve));
      },
    };
    const stop = scheduleRetention(store, clock, { timer: timer.schedule });
    expect(timer.intervals).toEqual([RETENTION_DEFAULTS.intervalMs]);
    await settle();
    expect(calls).toEqual([NOW - 30 * DAY]);
    timer.fire(); // the first run has not finished: skipped
    await settle();
    expect(calls.length).toBe(1);
    release();
    await settle();
    clock.advance(DAY);
    timer.fire();
    await settle();
    expect(calls).toEqual([NOW - 30 * DAY, NOW - 29 * DAY]);
    release();
    stop();
    expect(timer.active).toBe(0);
  });

  it('reports a failed prune and tries again on the next tick', async () => {
    const timer = new ManualIntervalTimer();
    const errors: unknown[] = [];
    let attempts = 0;
    const store: Pick<Store, 'prune'> = {
      prune: async () => {
        attempts++;
        throw new Error('database is locked');
      },
    };
    const stop = scheduleRetention(store, new ManualClock(NOW), { timer: timer.schedule, onError: (e) => errors.push(e) });
    await settle();
    timer.fire();
    await settle();
    expect(attempts).toBe(2);
    expect(errors.length).toBe(2);
    stop();
  });

  it('removes what is past retention from a real store', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const old = NOW - 402 * DAY;
    await store.addRollups([rollup(old), rollup(NOW - DAY)]);
    await store.saveIncident(incident('old', old, { status: 'resolved', resolvedAt: old + DAY }));
    const stop = scheduleRetention(store, new ManualClock(NOW), { timer: new ManualIntervalTimer().schedule });
    await settle();
    stop();
    expect((await store.readRollups({ fromMinute: 0, toMinute: NOW })).map((r) => r.minute)).toEqual([NOW - DAY]);
    expect(await store.getIncident('old')).toBeUndefined();
    await store.close();
  });
});
