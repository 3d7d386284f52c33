/**
 * Shared health against a real Redis: one replica's attempt outcomes reach the other replicas' health
 * windows (never its own; probes and cancelled attempts excluded). Without a reachable Redis the file
 * fails, naming how to get one.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { TEST_REDIS_URL, requireService } from '../../test/support/test-services.js';
import type { HealthAttempt } from '../health/health-windows.js';
import { TypedEmitter } from '../resilience/index.js';
import { SharedHealth } from './shared-health.js';

await requireService('redis');

const prefix = `keel-test-${randomBytes(4).toString('hex')}`;
const seenByA: HealthAttempt[] = [];
const seenByB: HealthAttempt[] = [];
const a = new SharedHealth({ redis: TEST_REDIS_URL, prefix, deploymentIds: ['d1'], record: (x) => seenByA.push(x) });
const b = new SharedHealth({ redis: TEST_REDIS_URL, prefix, deploymentIds: ['d1'], record: (x) => seenByB.push(x) });

afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

describe('SharedHealth', () => {
  it("feeds one replica's attempt outcomes into the other's health, never back into its own, probes and cancels excluded", async () => {
    const events = new TypedEmitter<{ attempt: HealthAttempt }>();
    a.attach({ on: (name, listener) => events.on(name, listener) });
    const base = { deployment: 'd1', startedAtMs: Date.now(), latencyMs: 12 };
    await vi.waitFor(
      () => {
        events.emit('attempt', { ...base, requestId: 'req_1', outcome: 'overloaded' });
        expect(seenByB.length).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 1_100 },
    );
    events.emit('attempt', { ...base, requestId: 'probe_d1_x', outcome: 'ok' });
    events.emit('attempt', { ...base, requestId: 'req_2', outcome: 'ok', cancelled: true });
    events.emit('attempt', { ...base, deployment: 'unknown', requestId: 'req_3', outcome: 'ok' });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(seenByB.every((x) => x.outcome === 'overloaded' && x.deployment === 'd1')).toBe(true);
    expect(seenByA).toEqual([]);
  });

  it("publishes a busy replica's outcomes as they fill a batch, dropping none", async () => {
    const events = new TypedEmitter<{ attempt: HealthAttempt }>();
    const detach = b.attach({ on: (name, listener) => events.on(name, listener) });
    const before = seenByA.length;
    // More than one batch holds, all within one second: the first batches leave at once.
    const startedAtMs = Date.now();
    for (let i = 0; i < 12_000; i++) events.emit('attempt', { deployment: 'd1', requestId: `busy_${i}`, outcome: 'ok', startedAtMs, latencyMs: 3, ttftMs: 1 });
    await vi.waitFor(() => expect(seenByA.length - before).toBe(12_000), { timeout: 10_000, interval: 100 });
    expect(b.stats.dropped).toBe(0);
    expect(seenByA.at(-1)).toMatchObject({ deployment: 'd1', outcome: 'ok', latencyMs: 3, ttftMs: 1 });
    detach();
  });

  it('lets outcomes go while no other replica listens, and publishes again once one joins', async () => {
    const alonePrefix = `${prefix}-alone`;
    const alone = new SharedHealth({ redis: TEST_REDIS_URL, prefix: alonePrefix, deploymentIds: ['d1'], record: () => undefined });
    const events = new TypedEmitter<{ attempt: HealthAttempt }>();
    const detach = alone.attach({ on: (name, listener) => events.on(name, listener) });
    const emit = (requestId: string): void => events.emit('attempt', { deployment: 'd1', requestId, outcome: 'ok', startedAtMs: Date.now(), latencyMs: 3 });
    // The first batch leaves (nobody is known yet) and its reply shows nobody else listening.
    await vi.waitFor(
      () => {
        emit('alone');
        expect(alone.stats.unheard).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 300 },
    );
    const publishedAlone = alone.stats.published;
    const seen: HealthAttempt[] = [];
    const joined = new SharedHealth({ redis: TEST_REDIS_URL, prefix: alonePrefix, deploymentIds: ['d1'], record: (x) => seen.push(x) });
    try {
      await vi.waitFor(
        () => {
          emit('joined');
          expect(seen.some((x) => x.outcome === 'ok')).toBe(true);
        },
        { timeout: 10_000, interval: 300 },
      );
      expect(alone.stats.published).toBeGreaterThan(publishedAlone);
    } finally {
      detach();
      await Promise.all([alone.close(), joined.close()]);
    }
  });

  it('keeps the newest outcomes while Redis is away, dropping the older half of a full batch at once', async () => {
    const away = new SharedHealth({ redis: 'redis://127.0.0.1:1', prefix, deploymentIds: ['d1'], record: () => undefined });
    const events = new TypedEmitter<{ attempt: HealthAttempt }>();
    const detach = away.attach({ on: (name, listener) => events.on(name, listener) });
    const startedAtMs = Date.now();
    const emit = (n: number): void => {
      for (let i = 0; i < n; i++) events.emit('attempt', { deployment: 'd1', requestId: `away_${i}`, outcome: 'ok', startedAtMs, latencyMs: 3 });
    };
    emit(5_000); // a full batch, which cannot leave
    expect(away.stats.dropped).toBe(0);
    emit(1); // the next outcome makes room by dropping the older half
    expect(away.stats.dropped).toBe(2_500);
    emit(2_499); // the batch is full again, and nothing more was dropped
    expect(away.stats.dropped).toBe(2_500);
    detach();
    await away.close();
  });
});
