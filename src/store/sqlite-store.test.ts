import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { SqliteStore } from './sqlite-store.js';
import { SQLITE_MIGRATIONS, applyMigrations, type Migration } from './sqlite-migrations.js';
import { describeStoreContract, rollup } from './store-contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'keel-store-'));
}

describeStoreContract('sqlite (file)', async () => {
  const dir = tempDir();
  const path = join(dir, 'keel.db');
  return {
    open: async () => new SqliteStore({ path }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('works in memory, for tests', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    await store.addRollups([rollup(0), rollup(0)]);
    expect((await store.readRollups({ fromMinute: 0, toMinute: 60_000 }))[0]?.outcomes).toEqual({ ok: 2 });
    await store.close();
    await store.close(); // idempotent
  });

  it('opens the file in WAL mode with NORMAL sync, foreign keys and a busy timeout', async () => {
    const path = join(dir, 'keel.db');
    const store = new SqliteStore({ path, busyTimeoutMs: 1234 });
    await store.migrate();
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    await store.close();
  });

  it('migrates a fresh file, records the version, and reopening is a no-op', async () => {
    const path = join(dir, 'keel.db');
    const clock = new ManualClock(1_700_000_000_000);
    const store = new SqliteStore({ path, clock });
    expect(store.schemaVersion()).toBe(0);
    await store.migrate();
    const latest = SQLITE_MIGRATIONS.at(-1)!.version;
    expect(store.schemaVersion()).toBe(latest);
    await store.addRollups([rollup(0)]);
    await store.close();

    const db = new Database(path);
    const recorded = db.prepare('SELECT version, name, applied_at FROM schema_migrations ORDER BY version').all();
    expect(recorded).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name, applied_at: 1_700_000_000_000 })));
    expect(applyMigrations(db)).toEqual([]);
    db.close();

    const again = new SqliteStore({ path, clock: new ManualClock(1) });
    await again.migrate();
    expect((await again.readRollups({ fromMinute: 0, toMinute: 60_000 })).length).toBe(1);
    await again.close();
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT COUNT(*) AS n, MAX(applied_at) AS at FROM schema_migrations').get()).toEqual({ n: SQLITE_MIGRATIONS.length, at: 1_700_000_000_000 });
    check.close();
  });

  it('applies only the missing steps, each in its own transaction, and refuses a newer file', () => {
    const db = new Database(join(dir, 'steps.db'));
    const steps: Migration[] = [
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'b', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1)' },
    ];
    expect(() => applyMigrations(db, steps)).toThrow(/nowhere/);
    // Step 1 stayed; the failed step 2 left nothing behind (its CREATE TABLE rolled back).
    const tables = () => (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b')`).all() as { name: string }[]).map((r) => r.name);
    expect(tables()).toEqual(['a']);
    steps[1] = { version: 2, name: 'b', sql: 'CREATE TABLE b (x INTEGER)' };
    expect(applyMigrations(db, steps)).toEqual([2]);
    expect(tables().sort()).toEqual(['a', 'b']);
    expect(() => applyMigrations(db, steps.slice(0, 1))).toThrow(/newer than this Keel knows/);
    db.close();
  });

  it('has an index for each query the interface makes', async () => {
    const store = new SqliteStore({ path: ':memory:' });
    await store.migrate();
    const db = (store as unknown as { db: Database.Database }).db;
    const plan = (sql: string): string => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan(`SELECT * FROM rollups WHERE scope = 'deployment' AND id = 'x' AND source = 'client' AND minute >= 0 AND minute < 9`)).toMatch(/USING PRIMARY KEY/);
    expect(plan('SELECT * FROM rollups WHERE minute >= 0 AND minute < 9')).toMatch(/rollups_minute/);
    expect(plan(`SELECT * FROM attempt_samples WHERE deployment = 'x' AND at >= 0 AND at < 9 ORDER BY at DESC LIMIT 5`)).toMatch(/attempt_samples_deployment_at/);
    expect(plan(`SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY opened_at DESC`)).toMatch(/incidents_open/);
    expect(plan(`SELECT * FROM virtual_keys WHERE hash = 'h'`)).toMatch(/USING INDEX/);
    expect(plan('SELECT * FROM audit_log ORDER BY at DESC, seq DESC LIMIT 5')).toMatch(/audit_log_at/);
    await store.close();
  });

  it('adds rollups written by two connections to the same file without losing any', async () => {
    const path = join(dir, 'shared.db');
    const a = new SqliteStore({ path });
    const b = new SqliteStore({ path });
    await a.migrate();
    await b.migrate();
    for (let i = 0; i < 20; i++) {
      await a.addRollups([rollup(0)]);
      await b.addRollups([rollup(0)]);
    }
    expect((await a.readRollups({ fromMinute: 0, toMinute: 60_000 }))[0]?.outcomes).toEqual({ ok: 40 });
    await a.close();
    await b.close();
  });
});
