import { describe, expect, it } from 'vitest';
import type { Deployment } from '../config/resolve-config.js';
import type { TypedEmitter } from '../resilience/index.js';
import type { RouterEvents } from '../router/router.js';
import { ManualIntervalTimer } from './interval-timer.js';
import { costOf, type RecordedAttempt, type RecordedRequest, type RecorderEventSource, type RecorderEvents, type RecorderPrice } from './recorded-events.js';
import { RollupRecorder } from './rollup-recorder.js';
import type { AttemptSample, RollupRow, Store } from './store.js';

const M = 60_000;
const T0 = Date.UTC(2025, 0, 1);

// Compile-time checks: the router's emitter and the config's prices fit without the store importing them.
const routerEventsFit = (events: TypedEmitter<RouterEvents>): RecorderEventSource => events;
const priceFits = (deployment: Deployment): RecorderPrice | undefined => deployment.price;
void routerEventsFit;
void priceFits;

class FakeEvents implements RecorderEventSource {
  readonly listeners = { attempt: new Set<(e: RecordedAttempt) => void>(), request: new Set<(e: RecordedRequest) => void>() };
  on<K extends keyof RecorderEvents>(name: K, listener: (event: RecorderEvents[K]) => void): () => void {
    const set = this.listeners[name] as Set<unknown>;
    set.add(listener);
    return () => set.delete(listener);
  }
  attempt(event: RecordedAttempt): void {
    for (const l of this.listeners.attempt) l(event);
  }
  request(event: RecordedRequest): void {
    for (const l of this.listeners.request) l(event);
  }
}

class FakeStore implements Pick<Store, 'addRollups' | 'addSamples'> {
  rollupBatches: RollupRow[][] = [];
  sampleBatches: AttemptSample[][] = [];
  failRollups = false;
  failSamples = false;
  async addRollups(rows: RollupRow[]): Promise<void> {
    if (this.failRollups) throw new Error('disk full');
    this.rollupBatches.push(structuredClone(rows));
  }
  async addSamples(samples: AttemptSample[]): Promise<void> {
    if (this.failSamples) throw new Error('disk full');
    this.sampleBatches.push(structuredClone(samples));
  }
  rows(): RollupRow[] {
    return this.rollupBatches.flat();
  }
}

function attempt(overrides: Partial<RecordedAttempt> = {}): RecordedAttempt {
  return { requestId: 'req-1', route: 'smart', deployment: 'claude-direct', outcome: 'ok', startedAtMs: T0 + 1_000, latencyMs: 300, ...overrides };
}

function setup(options: { maxPendingMinutes?: number } = {}) {
  const store = new FakeStore();
  const timer = new ManualIntervalTimer();
  const errors: unknown[] = [];
  const prices: Record<string, { input_per_mtok: number; output_per_mtok: number; cached_input_per_mtok?: number }> = {
    'claude-direct': { input_per_mtok: 3, output_per_mtok: 15, cached_input_per_mtok: 0.3 },
  };
  const recorder = new RollupRecorder({ store, priceOf: (id) => prices[id], timer: timer.schedule, onError: (e) => errors.push(e), ...options });
  const events = new FakeEvents();
  const detach = recorder.attach(events);
  return { store, timer, errors, recorder, events, detach };
}

describe('RollupRecorder', () => {
  it('writes nothing until the timer fires, then one batch per flush', async () => {
    const { store, timer, events, recorder } = setup();
    expect(timer.intervals).toEqual([5_000]);
    events.attempt(attempt());
    events.attempt(attempt({ deployment: 'gpt-direct' }));
    expect(store.rollupBatches).toEqual([]);
    timer.fire();
    await recorder.flush();
    expect(store.rollupBatches.map((b) => b.length)).toEqual([2]);
    timer.fire();
    await recorder.flush();
    expect(store.rollupBatches.length).toBe(1); // nothing new, nothing written
  });

  it('counts outcomes, latency and TTFT histograms, tokens and cost per deployment-minute', async () => {
    const { store, events, recorder } = setup();
    events.attempt(attempt({ latencyMs: 40, ttftMs: 30, usage: { inputTokens: 1_000_000, outputTokens: 100_000, cachedInputTokens: 400_000 } }));
    events.attempt(attempt({ latencyMs: 700, ttftMs: 120 }));
    events.attempt(attempt({ outcome: 'server_error', status: 503, startedAtMs: T0 - 89_000, latencyMs: 90_000 }));
    await recorder.flush();
    const [row, ...others] = store.rows();
    expect(others).toEqual([]);
    expect(row).toMatchObject({ minute: T0, scope: 'deployment', id: 'claude-direct', source: 'client' });
    expect(row!.outcomes).toEqual({ ok: 2, server_error: 1 });
    expect(row!.latencyHistogram).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
    expect(row!.ttftHistogram).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(row!.latencySumMs).toBe(90_740);
    expect([row!.inputTokens, row!.outputTokens]).toEqual([1_000_000, 100_000]);
    // 600k uncached × $3 + 400k cached × $0.30 + 100k out × $15, per million.
    expect(row!.cost).toBeCloseTo(1.8 + 0.12 + 1.5, 9);
  });

  it('prices cached input at the input price when no cached price is set, and unpriced deployments at 0', () => {
    expect(costOf({ inputTokens: 2_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 }, { input_per_mtok: 2, output_per_mtok: 8 })).toBe(4);
    expect(costOf({ inputTokens: 10, outputTokens: 10 }, undefined)).toBe(0);
    expect(costOf(undefined, { input_per_mtok: 2, output_per_mtok: 8 })).toBe(0);
  });

  it('buckets by the minute an attempt ended, and keeps sources apart', async () => {
    const { store, events, recorder } = setup();
    events.attempt(attempt({ startedAtMs: T0, latencyMs: 59_999 }));
    events.attempt(attempt({ startedAtMs: T0, latencyMs: 60_000 }));
    events.attempt(attempt({ startedAtMs: T0 + 3 * M + 5, latencyMs: 1, source: 'probe' }));
    await recorder.flush();
    const keys = store.rows().map((r) => `${(r.minute - T0) / M}:${r.source}:${r.outcomes.ok}`).sort();
    expect(keys).toEqual(['0:client:1', '1:client:1', '3:probe:1']);
  });

  it('counts requests per route with the client-visible outcome, degraded apart, TTFT from the request start', async () => {
    const { store, events, recorder } = setup();
    const answered = attempt({ startedAtMs: T0 + 500, ttftMs: 200, usage: { inputTokens: 100, outputTokens: 10 } });
    const failed = attempt({ deployment: 'gpt-direct', outcome: 'overloaded', startedAtMs: T0, latencyMs: 400, usage: { inputTokens: 50, outputTokens: 0 } });
    events.request({ requestId: 'req_1', route: 'smart', startedAtMs: T0, latencyMs: 900, outcome: 'ok', deployment: 'claude-direct', attempts: [failed, answered] });
    events.request({ requestId: 'req_1', route: 'smart', startedAtMs: T0, latencyMs: 50, outcome: 'ok', degraded: 'cache', attempts: [] });
    events.request({ requestId: 'req_1', route: 'smart', startedAtMs: T0, latencyMs: 5_000, outcome: 'all_deployments_failed' });
    await recorder.flush();
    const [row] = store.rows();
    expect(row).toMatchObject({ scope: 'route', id: 'smart', source: 'client', minute: T0 });
    expect(row!.outcomes).toEqual({ ok: 1, degraded: 1, all_deployments_failed: 1 });
    expect(row!.ttftHistogram).toEqual([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // 700 ms: 500 to the answering attempt + 200
    expect([row!.inputTokens, row!.outputTokens]).toEqual([150, 10]);
    expect(row!.cost).toBeCloseTo((100 * 3 + 10 * 15) / 1e6, 12); // gpt-direct has no price
  });

  it('ignores cancelled attempts as provider outcomes but keeps the tokens they used', async () => {
    const { store, events, recorder } = setup();
    events.attempt(attempt({ outcome: 'stream_cut', cancelled: true, usage: { inputTokens: 10, outputTokens: 2 } }));
    await recorder.flush();
    const [row] = store.rows();
    expect(row!.outcomes).toEqual({});
    expect(row!.latencyHistogram.every((n) => n === 0)).toBe(true);
    expect(row!.inputTokens).toBe(10);
    expect(store.sampleBatches).toEqual([]);
  });

  it('keeps redacted samples of failed attempts, at most 20 per deployment per minute across flushes', async () => {
    const { store, events, recorder } = setup();
    const failure = (i: number, deployment = 'claude-direct') =>
      attempt({ requestId: `r${i}`, deployment, outcome: 'rate_limited', status: 429, message: `slow down sk-ant-abcdefghijklmnopqrstuv ${'x'.repeat(600)}` });
    for (let i = 0; i < 15; i++) events.attempt(failure(i));
    events.attempt(attempt()); // ok: never sampled
    await recorder.flush();
    for (let i = 15; i < 30; i++) events.attempt(failure(i));
    events.attempt(failure(99, 'gpt-direct'));
    await recorder.flush();
    const samples = store.sampleBatches.flat();
    expect(samples.filter((s) => s.deployment === 'claude-direct').length).toBe(20);
    expect(samples.filter((s) => s.deployment === 'gpt-direct').length).toBe(1);
    expect(samples[0]).toMatchObject({ at: T0 + 1_300, deployment: 'claude-direct', route: 'smart', outcome: 'rate_limited', status: 429, requestId: 'r0' });
    expect(samples[0]!.message).not.toContain('sk-ant-abcdefghijklmnopqrstuv');
    expect(samples[0]!.message!.length).toBeLessThanOrEqual(501);
    expect(store.rows().reduce((n, r) => n + (r.outcomes.rate_limited ?? 0), 0)).toBe(31); // counts are not capped
  });

  it('retries a failed write on the next flush, adding what arrived meanwhile, and never throws', async () => {
    const { store, events, recorder, errors } = setup();
    store.failRollups = true;
    events.attempt(attempt({ outcome: 'timeout' }));
    await expect(recorder.flush()).resolves.toBeUndefined();
    expect(errors.length).toBe(1);
    expect(recorder.stats()).toMatchObject({ pendingRows: 1, pendingSamples: 1, failedFlushes: 1 });
    events.attempt(attempt());
    store.failRollups = false;
    await recorder.flush();
    expect(store.rows().map((r) => r.outcomes)).toEqual([{ timeout: 1, ok: 1 }]);
    expect(store.sampleBatches.flat().length).toBe(1);
    expect(recorder.stats()).toMatchObject({ pendingRows: 0, pendingSamples: 0 });
  });

  it('counts every event that arrives while a write fails, and after it, once', async () => {
    const { store, events, recorder } = setup();
    let fail: (err: Error) => void = () => undefined;
    const addRollups = store.addRollups.bind(store);
    store.addRollups = () => new Promise<void>((_, reject) => (fail = reject));
    events.attempt(attempt({ outcome: 'timeout' }));
    events.request({ requestId: 'req_1', route: 'smart', startedAtMs: T0 + 1_000, latencyMs: 300, outcome: 'ok' });
    const flushing = recorder.flush();
    // During the write: the same deployment and route, the same minute.
    events.attempt(attempt());
    events.request({ requestId: 'req_2', route: 'smart', startedAtMs: T0 + 1_000, latencyMs: 300, outcome: 'ok' });
    fail(new Error('disk full'));
    await flushing;
    // After the failed write was put back.
    events.attempt(attempt());
    events.request({ requestId: 'req_3', route: 'smart', startedAtMs: T0 + 1_000, latencyMs: 300, outcome: 'ok' });
    store.addRollups = addRollups;
    await recorder.flush();
    const rows = store.rows();
    expect(rows.find((r) => r.scope === 'deployment')?.outcomes).toEqual({ timeout: 1, ok: 2 });
    expect(rows.find((r) => r.scope === 'route')?.outcomes).toEqual({ ok: 3 });
    expect(rows).toHaveLength(2);
  });

  it('retries only the samples when the rollups were written', async () => {
    const { store, events, recorder } = setup();
    store.failSamples = true;
    events.attempt(attempt({ outcome: 'timeout' }));
    await recorder.flush();
    store.failSamples = false;
    await recorder.flush();
    expect(store.rows().map((r) => r.outcomes)).toEqual([{ timeout: 1 }]);
    expect(store.sampleBatches.flat().length).toBe(1);
  });

  it('drops the oldest minutes while the store stays down, and counts them', async () => {
    const { store, events, recorder } = setup({ maxPendingMinutes: 3 });
    store.failRollups = true;
    for (let minute = 0; minute < 5; minute++) {
      events.attempt(attempt({ startedAtMs: T0 + minute * M, outcome: 'server_error' }));
      events.request({ requestId: 'req_1', route: 'smart', startedAtMs: T0 + minute * M, latencyMs: 300, outcome: 'all_deployments_failed' });
      await recorder.flush();
    }
    expect(recorder.stats()).toMatchObject({ pendingRows: 6, pendingSamples: 3, droppedMinutes: 2, droppedRows: 4, droppedSamples: 2, failedFlushes: 5 });
    store.failRollups = false;
    await recorder.flush();
    expect([...new Set(store.rows().map((r) => (r.minute - T0) / M))].sort()).toEqual([2, 3, 4]);
  });

  it('counts a late event of a minute dropped for the bound in that minute anew, not in the dropped row', async () => {
    const { store, events, recorder } = setup({ maxPendingMinutes: 1 });
    events.attempt(attempt({ deployment: 'a', startedAtMs: T0 }));
    events.attempt(attempt({ deployment: 'b', startedAtMs: T0 + M })); // minute 0 is dropped
    events.attempt(attempt({ deployment: 'a', startedAtMs: T0 })); // late, in minute 0 again (minute 1 dropped)
    await recorder.flush();
    expect(store.rows().map((r) => [r.id, (r.minute - T0) / M, r.outcomes])).toEqual([['a', 0, { ok: 1 }]]);
    expect(recorder.stats()).toMatchObject({ droppedMinutes: 2, droppedRows: 2 });
  });

  it('shares a flush in progress, and close() writes the rest and stops listening', async () => {
    const { store, events, recorder, timer } = setup();
    events.attempt(attempt());
    const first = recorder.flush();
    expect(recorder.flush()).toBe(first);
    await first;
    events.attempt(attempt());
    await recorder.close();
    expect(timer.active).toBe(0);
    expect(events.listeners.attempt.size).toBe(0);
    events.attempt(attempt());
    await recorder.flush();
    expect(store.rows().reduce((n, r) => n + (r.outcomes.ok ?? 0), 0)).toBe(2);
  });

  it('reports a broken event instead of throwing into the router; detach stops recording', async () => {
    const { store, events, recorder, errors, detach } = setup();
    expect(() => events.attempt({ ...attempt(), usage: null } as unknown as RecordedAttempt)).not.toThrow();
    expect(errors.length).toBe(1);
    detach();
    events.attempt(attempt());
    await recorder.flush();
    expect(store.rows().flatMap((r) => Object.keys(r.outcomes))).toEqual([]);
  });
});
