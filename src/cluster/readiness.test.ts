/**
 * Readiness: which checks make `/readyz` answer 503 and what each says, with stand-in probes, then once
 * against a real PostgreSQL and Redis (which must be reachable: that test fails, naming how to get them).
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL, TEST_REDIS_URL, requireService } from '../../test/support/test-services.js';
import { PostgresStore } from '../store/postgres/postgres-store.js';
import { checkReadiness, readinessAnswer } from './readiness.js';

const ok = async (): Promise<void> => undefined;
const never = (): Promise<void> => new Promise(() => undefined);

describe('checkReadiness', () => {
  it('is ready when the config is loaded, it is not draining and the store answers', async () => {
    const readiness = await checkReadiness({ store: { probe: ok }, redis: { probe: ok } });
    expect(readiness.ready).toBe(true);
    expect(readiness.checks.map((c) => [c.name, c.ok, c.required])).toEqual([
      ['config', true, true],
      ['accepting', true, true],
      ['store', true, true],
      ['redis', true, false],
    ]);
    expect(readinessAnswer(readiness).status).toBe(200);
  });

  it('is not ready when the store fails or does not answer in time, and says why', async () => {
    const failed = await checkReadiness({ store: { probe: () => Promise.reject(new Error('connection refused')) } });
    expect(failed.ready).toBe(false);
    expect(failed.checks.find((c) => c.name === 'store')).toMatchObject({ ok: false, detail: 'connection refused' });
    const started = performance.now();
    const slow = await checkReadiness({ store: { probe: never }, timeoutMs: 50 });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(slow.checks.find((c) => c.name === 'store')).toMatchObject({ ok: false, detail: 'timed out after 50 ms' });
    const answer = readinessAnswer(slow);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'not_ready' });
  });

  it('reports an optional dependency without becoming unready, unless it is required', async () => {
    const down = { probe: () => Promise.reject(new Error('ECONNREFUSED')) };
    const optional = await checkReadiness({ store: { probe: ok }, redis: down });
    expect(optional.ready).toBe(true);
    expect(optional.checks.find((c) => c.name === 'redis')).toMatchObject({ ok: false, detail: 'ECONNREFUSED' });
    expect((await checkReadiness({ store: { probe: ok }, redis: { ...down, required: true } })).ready).toBe(false);
    expect((await checkReadiness({ store: { ...down, required: false } })).ready).toBe(true);
  });

  it('is not ready while draining or without a config', async () => {
    expect((await checkReadiness({ store: { probe: ok }, draining: true })).ready).toBe(false);
    const noConfig = await checkReadiness({ store: { probe: ok }, configError: 'keel.yaml:3 deployments: expected an array' });
    expect(noConfig.ready).toBe(false);
    expect(noConfig.checks[0]).toMatchObject({ name: 'config', ok: false, detail: 'keel.yaml:3 deployments: expected an array' });
  });

  it('probes a real PostgreSQL and Redis', async () => {
    await requireService('postgres');
    await requireService('redis');
    const store = new PostgresStore({ connectionString: TEST_POSTGRES_URL });
    const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    try {
      const readiness = await checkReadiness({ store: { probe: () => store.ping() }, redis: { probe: () => redis.ping() } });
      expect(readiness.checks.map((c) => c.ok)).toEqual([true, true, true, true]);
    } finally {
      await store.close();
      redis.disconnect();
    }
  });
});
