/**
 * PostgresStore against a real PostgreSQL: the store contract every store meets, then what is PostgreSQL's
 * own — migrations raced by several replicas, schema names, isolation between schemas, pool limits. Each
 * test works in a throwaway schema. Without a reachable PostgreSQL the file fails, naming how to get one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/support/test-services.js';
import { describeStoreContract, rollup } from '../store-contract.js';
import type { RollupRow } from '../store.js';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js';
import { PostgresStore } from './postgres-store.js';
import { TEST_POSTGRES_URL, adminQuery, dropSchema, throwawaySchemaName } from './__fixtures__/postgres-test-db.js';

const M = 60_000;
const T0 = Date.UTC(2025, 0, 1);

await requireService('postgres');

describeStoreContract('PostgresStore', async () => {
  const schema = throwawaySchemaName();
  return {
    open: async () => new PostgresStore({ connectionString: TEST_POSTGRES_URL, schema }),
    cleanup: () => dropSchema(schema),
  };
});

describe('PostgresStore', () => {
  let schema: string;
  let stores: PostgresStore[];
  const open = (options: { maxConnections?: number } = {}): PostgresStore => {
    const store = new PostgresStore({ connectionString: TEST_POSTGRES_URL, schema, ...options });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    schema = throwawaySchemaName();
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await dropSchema(schema);
  });

  it('migrates once when three replicas start together, and records the version', async () => {
    const replicas = [open(), open(), open()];
    expect(await replicas[0]!.schemaVersion()).toBe(0);
    await Promise.all(replicas.map((r) => r.migrate()));
    const steps = await adminQuery<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(steps.map((s) => Number(s.version))).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version));
    expect(await replicas[1]!.schemaVersion()).toBe(POSTGRES_MIGRATIONS.at(-1)!.version);
  });

  it('refuses a schema newer than it knows', async () => {
    const store = open();
    await store.migrate();
    await adminQuery(`INSERT INTO "${schema}".schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`);
    await expect(store.migrate()).rejects.toThrow(/version 999, newer than this Keel knows/);
  });

  it('refuses a schema name it would have to escape', () => {
    expect(() => new PostgresStore({ connectionString: TEST_POSTGRES_URL, schema: 'keel"; DROP TABLE x; --' })).toThrow(/schema name/);
  });

  it('keeps installations in different schemas apart', async () => {
    const a = open();
    await a.migrate();
    const otherSchema = throwawaySchemaName();
    const b = new PostgresStore({ connectionString: TEST_POSTGRES_URL, schema: otherSchema });
    try {
      await b.migrate();
      await a.addRollups([rollup(T0)]);
      expect(await b.readRollups({ fromMinute: T0, toMinute: T0 + M })).toEqual([]);
    } finally {
      await b.close();
      await dropSchema(otherSchema);
    }
  });

  it('adds exactly when three replicas write the same rows at once', async () => {
    const replicas = [open(), open(), open()];
    await Promise.all(replicas.map((r) => r.migrate()));
    const keys = ['claude-direct', 'gpt-direct', 'gemini-direct'];
    const batchesPerReplica = 25;
    // Each batch touches every key in two minutes, in a different order per replica, with a duplicate
    // key inside the batch and outcome names that differ between replicas (the JSONB merge).
    const batch = (replica: number, i: number): RollupRow[] => {
      const rows = keys.flatMap((id) => [0, 1].map((m) => rollup(T0 + m * M, { id, outcomes: { ok: 1, [`e${replica}`]: 2 }, cost: 0.1 })));
      rows.push(rollup(T0, { id: keys[i % keys.length]!, outcomes: { ok: 1 }, cost: 0.1 }));
      return replica % 2 === 0 ? rows : rows.reverse();
    };
    await Promise.all(
      replicas.map(async (r, replica) => {
        await Promise.all(Array.from({ length: batchesPerReplica }, (_, i) => r.addRollups(batch(replica, i))));
      }),
    );
    const rows = await replicas[0]!.readRollups({ fromMinute: T0, toMinute: T0 + 2 * M });
    expect(rows).toHaveLength(keys.length * 2);
    // Batch i carries one extra row for keys[i % 3] at T0.
    const extras = (row: RollupRow): number =>
      row.minute === T0 ? Array.from({ length: batchesPerReplica }, (_, i) => keys[i % keys.length]).filter((id) => id === row.id).length : 0;
    for (const row of rows) {
      const writes = 3 * (batchesPerReplica + extras(row));
      expect(row.outcomes).toEqual({ ok: writes, e0: 2 * batchesPerReplica, e1: 2 * batchesPerReplica, e2: 2 * batchesPerReplica });
      expect(row.latencyHistogram[2]).toBe(writes);
      expect([row.inputTokens, row.outputTokens, row.latencySumMs]).toEqual([10 * writes, 5 * writes, 200 * writes]);
      expect(row.cost).toBeCloseTo(0.1 * writes, 6);
    }
  });

  it('adds a batch once per batch id, even when replicas race with it', async () => {
    const replicas = [open(), open(), open()];
    await Promise.all(replicas.map((r) => r.migrate()));
    await replicas[0]!.addRollups([rollup(T0)], { batchId: 'replica-a:1' });
    await replicas[0]!.addRollups([rollup(T0)], { batchId: 'replica-a:1' });
    await Promise.all(replicas.map((r) => r.addRollups([rollup(T0), rollup(T0 + M)], { batchId: 'replica-a:2' })));
    await replicas[1]!.addRollups([rollup(T0)]); // no id: always added
    const rows = await replicas[2]!.readRollups({ fromMinute: T0, toMinute: T0 + 2 * M });
    expect(rows.map((r) => [r.minute - T0, r.outcomes['ok']])).toEqual([
      [0, 3],
      [M, 1],
    ]);
  });

  it('forgets batch ids after a day, at prune', async () => {
    const store = open();
    await store.migrate();
    await store.addRollups([rollup(T0)], { batchId: 'b1' });
    await adminQuery(`UPDATE "${schema}".rollup_batches SET added_at = $1`, [Date.now() - 25 * 60 * M]);
    await store.prune({ rollupsBefore: 0, samplesBefore: 0, incidentsBefore: 0 });
    await store.addRollups([rollup(T0)], { batchId: 'b1' });
    expect((await store.readRollups({ fromMinute: T0, toMinute: T0 + M }))[0]?.outcomes).toEqual({ ok: 2 });
  });

  it('returns epoch milliseconds and counts as numbers, histograms of any length', async () => {
    const store = open();
    await store.migrate();
    await store.addRollups([rollup(T0, { latencyHistogram: [1, 2], inputTokens: 3_000_000_000 })]);
    await store.addRollups([rollup(T0, { latencyHistogram: [1, 2, 3, 4], inputTokens: 3_000_000_000 })]);
    const [row] = await store.readRollups({ fromMinute: T0, toMinute: T0 + M });
    expect(row).toMatchObject({ minute: T0, latencyHistogram: [2, 4, 3, 4], inputTokens: 6_000_000_000 });
    expect(typeof row!.minute).toBe('number');
  });

  it('drops NUL characters from sample messages instead of failing the batch', async () => {
    const store = open();
    await store.migrate();
    await store.addSamples([{ at: T0, deployment: 'd', route: 'r', outcome: 'server_error', latencyMs: 1, message: 'bad\u0000byte', requestId: 'x' }]);
    expect((await store.readSamples({ from: T0, to: T0 + 1, limit: 1 }))[0]?.message).toBe('badbyte');
  });

  it('answers a ping, and reports an unreachable server instead of waiting for it', async () => {
    const store = open();
    await store.ping();
    const nowhere = new PostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test', schema, connectionTimeoutMs: 500 });
    try {
      await expect(nowhere.ping()).rejects.toThrow();
    } finally {
      await nowhere.close();
    }
  });
});
