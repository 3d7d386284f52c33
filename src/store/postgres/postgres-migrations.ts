/**
 * The PostgreSQL schema, as an ordered list of steps (the same discipline as the SQLite steps: a released
 * step is never edited; a change is a new step at the end). Every table lives in one PostgreSQL schema
 * whose name is configurable, so several Keel installations, or a throwaway test run, can share a database.
 *
 * Several replicas usually start together. Each step runs in its own transaction that first takes a
 * transaction-level advisory lock named after the schema: the replicas queue on it, the first applies the
 * step, the others find it recorded and move on. The lock goes with the transaction, so a replica that dies
 * mid-step leaves nothing held and nothing half-applied.
 */
import type { Pool, PoolClient } from 'pg';
import { advisoryLockKey } from './advisory-key.js';

export interface PostgresMigration {
  version: number;
  name: string;
  /** The step's SQL, given the quoted schema name to qualify every object with. */
  sql: (schema: string) => string;
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: (s) => `
      -- Adds two outcome-count objects key by key: the additive merge an upsert needs, done in one
      -- statement so concurrent writers from several replicas never lose a count.
      CREATE FUNCTION ${s}.add_counts(a jsonb, b jsonb) RETURNS jsonb
        LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
          SELECT COALESCE(jsonb_object_agg(key, total), '{}'::jsonb)
          FROM (SELECT key, SUM(value::numeric) AS total
                FROM (SELECT * FROM jsonb_each_text(a) UNION ALL SELECT * FROM jsonb_each_text(b)) AS both_sides
                GROUP BY key) AS sums
        $$;
      -- Adds two histograms bucket by bucket; a shorter one counts as zeros (rows written with fewer buckets).
      CREATE FUNCTION ${s}.add_buckets(a bigint[], b bigint[]) RETURNS bigint[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
          SELECT COALESCE(array_agg(COALESCE(x, 0) + COALESCE(y, 0) ORDER BY n), '{}'::bigint[])
          FROM unnest(a, b) WITH ORDINALITY AS t(x, y, n)
        $$;

      -- One row per (scope, id, source, minute); the key leads with what queries filter on, so a
      -- deployment's history is one index range; rollups_minute serves unfiltered ranges and pruning.
      CREATE TABLE ${s}.rollups (
        scope text NOT NULL CHECK (scope IN ('deployment', 'route')),
        id text NOT NULL,
        source text NOT NULL CHECK (source IN ('client', 'probe')),
        minute bigint NOT NULL,                 -- epoch ms, floored to the minute
        outcomes jsonb NOT NULL,                -- outcome -> count
        latency_histogram bigint[] NOT NULL,    -- LATENCY_BUCKETS_MS.length + 1 counts
        ttft_histogram bigint[] NOT NULL,
        latency_sum_ms double precision NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cost double precision NOT NULL,         -- USD
        PRIMARY KEY (scope, id, source, minute)
      );
      CREATE INDEX rollups_minute ON ${s}.rollups (minute);

      -- Batches already added, so a recorder that retries a batch after a lost reply adds it once.
      CREATE TABLE ${s}.rollup_batches (
        batch_id text PRIMARY KEY,
        added_at bigint NOT NULL
      );
      CREATE INDEX rollup_batches_added_at ON ${s}.rollup_batches (added_at);

      CREATE TABLE ${s}.attempt_samples (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at bigint NOT NULL,
        deployment text NOT NULL,
        route text NOT NULL,
        outcome text NOT NULL,
        status integer,
        latency_ms double precision NOT NULL,
        message text,
        request_id text NOT NULL
      );
      CREATE INDEX attempt_samples_deployment_at ON ${s}.attempt_samples (deployment, at DESC, seq DESC);
      CREATE INDEX attempt_samples_at ON ${s}.attempt_samples (at DESC, seq DESC);

      CREATE TABLE ${s}.incidents (
        id text PRIMARY KEY,
        component text NOT NULL,
        title text NOT NULL,
        status text NOT NULL,
        impact text NOT NULL,
        opened_at bigint NOT NULL,
        resolved_at bigint,
        impact_start bigint NOT NULL,
        impact_end bigint
      );
      CREATE INDEX incidents_opened_at ON ${s}.incidents (opened_at DESC, id DESC);
      CREATE INDEX incidents_component_opened_at ON ${s}.incidents (component, opened_at DESC);
      -- The status page asks for open incidents on every render: keep them one small index away.
      CREATE INDEX incidents_open ON ${s}.incidents (opened_at DESC) WHERE status <> 'resolved';
      CREATE INDEX incidents_resolved_at ON ${s}.incidents (resolved_at) WHERE resolved_at IS NOT NULL;

      CREATE TABLE ${s}.incident_updates (
        incident_id text NOT NULL REFERENCES ${s}.incidents (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        at bigint NOT NULL,
        status text NOT NULL,
        message text NOT NULL,
        evidence jsonb,
        author text NOT NULL,
        PRIMARY KEY (incident_id, seq)
      );

      CREATE TABLE ${s}.maintenance_windows (
        id text PRIMARY KEY,
        component text NOT NULL,
        starts_at bigint NOT NULL,
        ends_at bigint NOT NULL,
        description text NOT NULL,
        created_by text NOT NULL
      );
      CREATE INDEX maintenance_windows_starts_at ON ${s}.maintenance_windows (starts_at, ends_at);

      CREATE TABLE ${s}.virtual_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        hash text NOT NULL UNIQUE,              -- the lookup on every authenticated request
        prefix text NOT NULL,
        tenant text NOT NULL,
        allowed_models text[],                  -- NULL: any model
        rpm integer,
        tpm integer,
        daily_budget_usd double precision,
        monthly_budget_usd double precision,
        priority text NOT NULL CHECK (priority IN ('interactive', 'batch')),
        created_at bigint NOT NULL,
        expires_at bigint,
        revoked_at bigint
      );
      CREATE INDEX virtual_keys_created_at ON ${s}.virtual_keys (created_at, id);

      -- seq keeps insertion order among entries of the same millisecond.
      CREATE TABLE ${s}.audit_log (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at bigint NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        details jsonb
      );
      CREATE INDEX audit_log_at ON ${s}.audit_log (at DESC, seq DESC);
    `,
  },
  {
    version: 2,
    name: 'stored responses',
    sql: (s) => `
      -- Responses API answers kept for previous_response_id and GET /v1/responses/{id}, per tenant.
      CREATE TABLE ${s}.responses (
        tenant text NOT NULL,
        id text NOT NULL,
        created_at bigint NOT NULL,             -- epoch ms
        response jsonb NOT NULL,
        items jsonb NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX responses_created_at ON ${s}.responses (created_at);
    `,
  },
  {
    version: 3,
    name: 'vendor incidents',
    sql: (s) => `
      -- What providers' public status pages declared, as Keel saw it (see VendorIncident).
      CREATE TABLE ${s}.vendor_incidents (
        source text NOT NULL,
        id text NOT NULL,
        started_at bigint NOT NULL,             -- epoch ms, the vendor's declared start
        resolved_at bigint,                     -- epoch ms or NULL while open
        record jsonb NOT NULL,
        PRIMARY KEY (source, id)
      );
      CREATE INDEX vendor_incidents_started_at ON ${s}.vendor_incidents (started_at);
    `,
  },
];

/** Applies the missing steps in order on one connection; returns the versions applied (empty when current). */
export async function applyPostgresMigrations(
  pool: Pool,
  schema: string,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
  nowMs = Date.now(),
): Promise<number[]> {
  const s = quoteSchema(schema);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  const lockKey = advisoryLockKey(`keel:migrate:${schema}`);
  const applied: number[] = [];
  const client = await pool.connect();
  try {
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      await inTransaction(client, async () => {
        // A big table can make a step slow: the pool's statement timeout is for requests, not upgrades.
        await client.query('SET LOCAL statement_timeout = 0');
        await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
        await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
          version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`);
        const current = await currentVersion(client, s);
        if (current > known) {
          throw new Error(`the PostgreSQL schema ${schema} has version ${current}, newer than this Keel knows (${known}): upgrade Keel or use another schema`);
        }
        const done = await client.query(`SELECT 1 FROM ${s}.schema_migrations WHERE version = $1`, [migration.version]);
        if (done.rowCount !== 0) return;
        await client.query(migration.sql(s));
        await client.query(`INSERT INTO ${s}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
          migration.version,
          migration.name,
          nowMs,
        ]);
        applied.push(migration.version);
      });
    }
  } finally {
    client.release();
  }
  return applied;
}

/** The highest step recorded in the schema (0 when the schema or its table does not exist yet). */
export async function postgresSchemaVersion(pool: Pool, schema: string): Promise<number> {
  const exists = await pool.query('SELECT to_regclass($1) IS NOT NULL AS present', [`${quoteSchema(schema)}.schema_migrations`]);
  if (exists.rows[0]?.present !== true) return 0;
  const client = await pool.connect();
  try {
    return await currentVersion(client, quoteSchema(schema));
  } finally {
    client.release();
  }
}

/**
 * Schema names are interpolated into SQL (identifiers cannot be parameters), so only plain lower-case
 * names are accepted, and they are quoted all the same.
 */
export function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`expected a PostgreSQL schema name of lower-case letters, digits and "_" (at most 63), got "${schema}"`);
  }
  return `"${schema}"`;
}

/** Runs `work` in a transaction on `client`: COMMIT when it resolves, ROLLBACK (and rethrow) when it throws. */
export async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A broken connection cannot roll back; the server discards the transaction with the session anyway.
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function currentVersion(client: PoolClient, quotedSchema: string): Promise<number> {
  const row = await client.query<{ version: number | null }>(`SELECT MAX(version) AS version FROM ${quotedSchema}.schema_migrations`);
  return row.rows[0]?.version ?? 0;
}
