/**
 * The SQLite schema, as an ordered list of steps. A step is never edited once released: a change to the
 * schema is a new step at the end. `applyMigrations` runs each missing step in its own transaction and
 * records it in `schema_migrations`, so a crash mid-upgrade leaves the file at the last whole step, and
 * two processes starting on the same file at once apply each step once (the check is inside the
 * write-locked transaction).
 */
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      -- One row per (scope, id, source, minute): the key leads with what queries filter on, so a
      -- deployment's history is one index range; rollups_minute serves unfiltered ranges and pruning.
      CREATE TABLE rollups (
        scope TEXT NOT NULL CHECK (scope IN ('deployment', 'route')),
        id TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('client', 'probe')),
        minute INTEGER NOT NULL,
        outcomes TEXT NOT NULL,            -- JSON object: outcome -> count
        latency_histogram TEXT NOT NULL,   -- JSON array, LATENCY_BUCKETS_MS.length + 1 counts
        ttft_histogram TEXT NOT NULL,      -- JSON array, same buckets
        latency_sum_ms REAL NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost REAL NOT NULL,                -- USD
        PRIMARY KEY (scope, id, source, minute)
      ) WITHOUT ROWID;
      CREATE INDEX rollups_minute ON rollups (minute);

      CREATE TABLE attempt_samples (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        deployment TEXT NOT NULL,
        route TEXT NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        latency_ms REAL NOT NULL,
        message TEXT,
        request_id TEXT NOT NULL
      );
      CREATE INDEX attempt_samples_deployment_at ON attempt_samples (deployment, at);
      CREATE INDEX attempt_samples_at ON attempt_samples (at);

      CREATE TABLE incidents (
        id TEXT PRIMARY KEY,
        component TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        impact TEXT NOT NULL,
        opened_at INTEGER NOT NULL,
        resolved_at INTEGER,
        impact_start INTEGER NOT NULL,
        impact_end INTEGER
      );
      CREATE INDEX incidents_opened_at ON incidents (opened_at);
      CREATE INDEX incidents_component_opened_at ON incidents (component, opened_at);
      -- The status page asks for open incidents on every render: keep them one small index away.
      CREATE INDEX incidents_open ON incidents (opened_at) WHERE status <> 'resolved';
      CREATE INDEX incidents_resolved_at ON incidents (resolved_at) WHERE resolved_at IS NOT NULL;

      CREATE TABLE incident_updates (
        incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at INTEGER NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL,
        evidence TEXT,                     -- JSON object or NULL
        author TEXT NOT NULL,
        PRIMARY KEY (incident_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE maintenance_windows (
        id TEXT PRIMARY KEY,
        component TEXT NOT NULL,
        starts_at INTEGER NOT NULL,
        ends_at INTEGER NOT NULL,
        description TEXT NOT NULL,
        created_by TEXT NOT NULL
      );
      CREATE INDEX maintenance_windows_starts_at ON maintenance_windows (starts_at, ends_at);

      CREATE TABLE virtual_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,         -- the lookup on every authenticated request
        prefix TEXT NOT NULL,
        tenant TEXT NOT NULL,
        allowed_models TEXT,               -- JSON array or NULL (any model)
        rpm INTEGER,
        tpm INTEGER,
        daily_budget_usd REAL,
        monthly_budget_usd REAL,
        priority TEXT NOT NULL CHECK (priority IN ('interactive', 'batch')),
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
      );

      -- seq keeps insertion order among entries of the same millisecond.
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        details TEXT                       -- JSON object or NULL
      );
      CREATE INDEX audit_log_at ON audit_log (at, seq);
    `,
  },
  {
    version: 2,
    name: 'stored responses',
    sql: `
      -- Responses API answers kept for previous_response_id and GET /v1/responses/{id}, per tenant.
      CREATE TABLE responses (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        created_at INTEGER NOT NULL,       -- epoch ms
        response TEXT NOT NULL,            -- JSON: the response object
        items TEXT NOT NULL,               -- JSON array: the conversation's input items
        PRIMARY KEY (tenant, id)
      ) WITHOUT ROWID;
      CREATE INDEX responses_created_at ON responses (created_at);
    `,
  },
  {
    version: 3,
    name: 'vendor incidents',
    sql: `
      -- What providers' public status pages declared, as Keel saw it (see VendorIncident).
      CREATE TABLE vendor_incidents (
        source TEXT NOT NULL,
        id TEXT NOT NULL,
        started_at INTEGER NOT NULL,       -- epoch ms, the vendor's declared start
        resolved_at INTEGER,               -- epoch ms or NULL while open
        record TEXT NOT NULL,              -- JSON: the VendorIncident
        PRIMARY KEY (source, id)
      ) WITHOUT ROWID;
      CREATE INDEX vendor_incidents_started_at ON vendor_incidents (started_at);
    `,
  },
];

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`;

/** The highest step recorded in the file (0 for a new file). */
export function schemaVersion(db: Database.Database): number {
  db.exec(CREATE_MIGRATIONS_TABLE);
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/** Applies the missing steps in order; returns the versions applied (empty when the file was current). */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[] = SQLITE_MIGRATIONS, nowMs = Date.now()): number[] {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const current = schemaVersion(db);
  if (current > known) {
    throw new Error(`the store file has schema version ${current}, newer than this Keel knows (${known}): upgrade Keel or use another file`);
  }
  const applied: number[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    // IMMEDIATE takes the write lock before the check, so a second process waits and then sees the step done.
    db.transaction(() => {
      if (isApplied.get(migration.version) !== undefined) return;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, nowMs);
      applied.push(migration.version);
    }).immediate();
  }
  return applied;
}
