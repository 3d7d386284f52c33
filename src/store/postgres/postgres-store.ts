/**
 * The shared store: PostgreSQL through a `pg` pool, for several Keel replicas writing one history. It
 * passes the same contract as the SQLite store. What differs is concurrency: replicas add to the same
 * rollup rows at once, so a batch is one `INSERT ... ON CONFLICT DO UPDATE` whose update adds (counts,
 * JSONB outcome counts and histograms through SQL functions) instead of replacing. PostgreSQL locks each
 * conflicting row and re-reads its latest version before applying the update, so no add is ever lost,
 * and rows are written in one global key order so two batches never wait on each other in a cycle.
 */
import { Pool, type PoolClient } from 'pg';
import { systemClock, type Clock } from '../../core/clock.js';
import type { AttemptSample, AuditEntry, Incident, MaintenanceWindow, PruneCutoffs, RollupQuery, RollupRow, Store, StoredResponse, VendorIncident, VendorIncidentQuery, VirtualKeyRecord } from '../store.js';
import { toStoredResponse, type ResponseDbRow } from '../response-rows.js';
import { VENDOR_INCIDENT_ORDER, vendorIncidentFilter, vendorIncidentParams, type VendorIncidentDbRow } from '../vendor-incident-rows.js';
import { insertSamplesSql, insertUpdatesSql, mergeByKey, sampleRecord, upsertRollupsSql } from './postgres-batches.js';
import { applyPostgresMigrations, inTransaction, postgresSchemaVersion, quoteSchema } from './postgres-migrations.js';
import {
  NUMERIC_BIGINTS,
  rollupRecord,
  toAuditEntry,
  toIncident,
  toKey,
  toMaintenance,
  toRollup,
  toSample,
  type PgIncidentRow,
  type PgKeyRow,
  type PgRollupRow,
  type PgUpdateRow,
} from './postgres-rows.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database` (libpq URL; `?sslmode=require` and friends apply). */
  connectionString: string;
  /** The PostgreSQL schema holding Keel's tables (created by `migrate`). */
  schema?: string;
  maxConnections?: number;
  connectionTimeoutMs?: number;
  statementTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** How long a rollup batch id is remembered for `addRollups(rows, { batchId })` (pruned after). */
  batchMemoryMs?: number;
  /** An idle pooled connection failed (server restart, network): the pool replaces it on next use. */
  onError?: (err: Error) => void;
  clock?: Clock;
}

export const POSTGRES_DEFAULTS = {
  schema: 'keel',
  // Writes arrive in batches from the recorder every few seconds and reads come from the status page, the
  // admin API and reports: a handful of connections per replica is plenty, and 5 keeps ten replicas (the
  // autoscaler's ceiling) at 50 of PostgreSQL's default max_connections of 100, leaving room for leases,
  // migrations and operators.
  maxConnections: 5,
  // pg waits forever for a connection by default: an unreachable database must surface as an error the
  // recorder retries and /readyz reports, not as a write that never returns.
  connectionTimeoutMs: 5_000, // 5 s
  // Every statement is a short batch or an indexed read; one that runs this long is stuck on a lock or a
  // sick server, and failing it frees the connection for the others.
  statementTimeoutMs: 30_000, // 30 s
  // Idle connections are closed after this, so a replica that went quiet holds no server backends.
  idleTimeoutMs: 30_000, // 30 s
  // A recorder retries a batch within seconds of a lost reply; a day covers any retry with room to spare.
  batchMemoryMs: 24 * 60 * 60 * 1000, // 24 h
} as const;

export class PostgresStore implements Store {
  private readonly pool: Pool;
  private readonly schema: string;
  /** The quoted schema name, to qualify every table. */
  private readonly s: string;
  private readonly clock: Clock;
  private readonly batchMemoryMs: number;
  private closed = false;

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema ?? POSTGRES_DEFAULTS.schema;
    this.s = quoteSchema(this.schema);
    this.clock = options.clock ?? systemClock;
    this.batchMemoryMs = options.batchMemoryMs ?? POSTGRES_DEFAULTS.batchMemoryMs;
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? POSTGRES_DEFAULTS.maxConnections,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? POSTGRES_DEFAULTS.connectionTimeoutMs,
      idleTimeoutMillis: options.idleTimeoutMs ?? POSTGRES_DEFAULTS.idleTimeoutMs,
      statement_timeout: options.statementTimeoutMs ?? POSTGRES_DEFAULTS.statementTimeoutMs,
      application_name: 'keel',
      types: NUMERIC_BIGINTS,
    });
    // Without a listener, an idle connection's error (server restart) would crash the process.
    const onError = options.onError ?? (() => undefined);
    this.pool.on('error', (err) => onError(err));
  }

  async migrate(): Promise<void> {
    await applyPostgresMigrations(this.pool, this.schema, undefined, this.clock.now());
  }

  /** The highest schema step applied (0 before the first `migrate`). */
  schemaVersion(): Promise<number> {
    return postgresSchemaVersion(this.pool, this.schema);
  }

  /** The cheapest round trip, for readiness checks. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /**
   * Adds the rows to what is stored, in one statement. With a `batchId`, a batch already added (a retry
   * after a lost reply, or the same batch from two paths) is not added again: the id is recorded in the
   * same transaction as the counts, so either both are written or neither.
   */
  async addRollups(rows: RollupRow[], options: { batchId?: string } = {}): Promise<void> {
    if (rows.length === 0) return;
    const batch = JSON.stringify(mergeByKey(rows).map(rollupRecord));
    const sql = upsertRollupsSql(this.s);
    const batchId = options.batchId;
    if (batchId === undefined) {
      await this.pool.query(sql, [batch]);
      return;
    }
    await this.transaction(async (client) => {
      // A second writer of the same id waits here on the primary key until the first commits, then skips.
      const claimed = await client.query(`INSERT INTO ${this.s}.rollup_batches (batch_id, added_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
        batchId,
        this.clock.now(),
      ]);
      if (claimed.rowCount === 0) return;
      await client.query(sql, [batch]);
    });
  }

  async readRollups(query: RollupQuery): Promise<RollupRow[]> {
    const where = ['minute >= $1', 'minute < $2'];
    const params: unknown[] = [query.fromMinute, query.toMinute];
    for (const column of ['scope', 'id', 'source'] as const) {
      const value = query[column];
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    // COLLATE "C": ids sort byte-wise as SQLite sorts them, whatever the database's collation.
    const sql = `SELECT * FROM ${this.s}.rollups WHERE ${where.join(' AND ')} ORDER BY minute, scope, id COLLATE "C", source`;
    return (await this.pool.query<PgRollupRow>(sql, params)).rows.map(toRollup);
  }

  async addSamples(samples: AttemptSample[]): Promise<void> {
    if (samples.length === 0) return;
    // Rows go in the batch's order, so `seq` keeps it among samples of the same millisecond.
    await this.pool.query(insertSamplesSql(this.s), [JSON.stringify(samples.map(sampleRecord))]);
  }

  async readSamples(query: { deployment?: string; from: number; to: number; limit: number }): Promise<AttemptSample[]> {
    const params: unknown[] = [query.from, query.to, query.limit];
    const byDeployment = query.deployment === undefined ? '' : 'deployment = $4 AND ';
    if (query.deployment !== undefined) params.push(query.deployment);
    const sql = `SELECT * FROM ${this.s}.attempt_samples WHERE ${byDeployment}at >= $1 AND at < $2 ORDER BY at DESC, seq DESC LIMIT $3`;
    return (await this.pool.query<Parameters<typeof toSample>[0]>(sql, params)).rows.map(toSample);
  }

  async saveIncident(incident: Incident): Promise<void> {
    const updates = incident.updates.map((u) => ({ at: u.at, status: u.status, message: u.message, evidence: u.evidence ?? null, author: u.author }));
    // The incident object is the whole truth: its updates are replaced, not appended, so a save is
    // idempotent. The upsert locks the incident row, so two replicas saving it at once take turns.
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO ${this.s}.incidents (id, component, title, status, impact, opened_at, resolved_at, impact_start, impact_end)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET
           component = excluded.component, title = excluded.title, status = excluded.status, impact = excluded.impact,
           opened_at = excluded.opened_at, resolved_at = excluded.resolved_at,
           impact_start = excluded.impact_start, impact_end = excluded.impact_end`,
        [incident.id, incident.component, incident.title, incident.status, incident.impact, incident.openedAt,
          incident.resolvedAt ?? null, incident.impactStart, incident.impactEnd ?? null],
      );
      await client.query(`DELETE FROM ${this.s}.incident_updates WHERE incident_id = $1`, [incident.id]);
      if (updates.length === 0) return;
      await client.query(insertUpdatesSql(this.s), [incident.id, JSON.stringify(updates)]);
    });
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const rows = (await this.pool.query<PgIncidentRow>(`SELECT * FROM ${this.s}.incidents WHERE id = $1`, [id])).rows;
    return (await this.withUpdates(rows))[0];
  }

  async listIncidents(query: { from?: number; to?: number; component?: string; openOnly?: boolean; limit?: number }): Promise<Incident[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown): string => `$${params.push(value)}`;
    // from/to select incidents whose life overlaps the range: opened before `to`, not resolved before `from`.
    if (query.from !== undefined) where.push(`(resolved_at IS NULL OR resolved_at >= ${param(query.from)})`);
    if (query.to !== undefined) where.push(`opened_at < ${param(query.to)}`);
    if (query.component !== undefined) where.push(`component = ${param(query.component)}`);
    if (query.openOnly === true) where.push(`status <> 'resolved'`);
    const filter = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
    const limit = query.limit === undefined ? '' : ` LIMIT ${param(query.limit)}`;
    const sql = `SELECT * FROM ${this.s}.incidents${filter} ORDER BY opened_at DESC, id COLLATE "C" DESC${limit}`;
    return this.withUpdates((await this.pool.query<PgIncidentRow>(sql, params)).rows);
  }

  async saveMaintenance(window: MaintenanceWindow): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.maintenance_windows (id, component, starts_at, ends_at, description, created_by)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET component = excluded.component, starts_at = excluded.starts_at,
         ends_at = excluded.ends_at, description = excluded.description, created_by = excluded.created_by`,
      [window.id, window.component, window.startsAt, window.endsAt, window.description, window.createdBy],
    );
  }

  async listMaintenance(query: { from: number; to: number }): Promise<MaintenanceWindow[]> {
    const sql = `SELECT * FROM ${this.s}.maintenance_windows WHERE starts_at < $2 AND ends_at > $1 ORDER BY starts_at, id COLLATE "C"`;
    return (await this.pool.query<Parameters<typeof toMaintenance>[0]>(sql, [query.from, query.to])).rows.map(toMaintenance);
  }

  async saveKey(key: VirtualKeyRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.virtual_keys (id, name, hash, prefix, tenant, allowed_models, rpm, tpm, daily_budget_usd,
                                           monthly_budget_usd, priority, created_at, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, hash = excluded.hash, prefix = excluded.prefix,
         tenant = excluded.tenant, allowed_models = excluded.allowed_models, rpm = excluded.rpm, tpm = excluded.tpm,
         daily_budget_usd = excluded.daily_budget_usd, monthly_budget_usd = excluded.monthly_budget_usd,
         priority = excluded.priority, created_at = excluded.created_at, expires_at = excluded.expires_at,
         revoked_at = excluded.revoked_at`,
      [key.id, key.name, key.hash, key.prefix, key.tenant, key.allowedModels, key.rpm, key.tpm, key.dailyBudgetUsd,
        key.monthlyBudgetUsd, key.priority, key.createdAt, key.expiresAt, key.revokedAt],
    );
  }

  async getKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined> {
    const row = (await this.pool.query<PgKeyRow>(`SELECT * FROM ${this.s}.virtual_keys WHERE hash = $1`, [hash])).rows[0];
    return row === undefined ? undefined : toKey(row);
  }

  async listKeys(): Promise<VirtualKeyRecord[]> {
    return (await this.pool.query<PgKeyRow>(`SELECT * FROM ${this.s}.virtual_keys ORDER BY created_at, id COLLATE "C"`)).rows.map(toKey);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.appendAuditEntries([entry]);
  }

  async appendAuditEntries(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // One statement (atomic, one round trip): the rows as parallel arrays, unnested in order.
    await this.pool.query(
      `INSERT INTO ${this.s}.audit_log (at, actor, action, target, details)
       SELECT at, actor, action, target, details FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[]) WITH ORDINALITY AS e(at, actor, action, target, details, n) ORDER BY n`,
      [
        entries.map((e) => e.at),
        entries.map((e) => e.actor),
        entries.map((e) => e.action),
        entries.map((e) => e.target),
        entries.map((e) => (e.details === undefined ? null : JSON.stringify(e.details))),
      ],
    );
  }

  async listAudit(query: { from?: number; limit: number }): Promise<AuditEntry[]> {
    const params: unknown[] = [query.limit];
    const from = query.from === undefined ? '' : 'WHERE at >= $2 ';
    if (query.from !== undefined) params.push(query.from);
    const rows = await this.pool.query<Parameters<typeof toAuditEntry>[0]>(`SELECT * FROM ${this.s}.audit_log ${from}ORDER BY at DESC, seq DESC LIMIT $1`, params);
    return rows.rows.map(toAuditEntry);
  }

  async saveResponse(response: StoredResponse): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.responses (tenant, id, created_at, response, items) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, id) DO UPDATE SET created_at = excluded.created_at, response = excluded.response, items = excluded.items`,
      [response.tenant, response.id, response.createdAt, JSON.stringify(response.response), JSON.stringify(response.items)],
    );
  }

  async getResponse(tenant: string, id: string): Promise<StoredResponse | undefined> {
    const rows = (await this.pool.query<ResponseDbRow>(`SELECT * FROM ${this.s}.responses WHERE tenant = $1 AND id = $2`, [tenant, id])).rows;
    return rows[0] === undefined ? undefined : toStoredResponse(rows[0]);
  }

  async deleteResponse(tenant: string, id: string): Promise<boolean> {
    const result = await this.pool.query(`DELETE FROM ${this.s}.responses WHERE tenant = $1 AND id = $2`, [tenant, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async saveVendorIncident(incident: VendorIncident): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.s}.vendor_incidents (source, id, started_at, resolved_at, record) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source, id) DO UPDATE SET started_at = excluded.started_at, resolved_at = excluded.resolved_at, record = excluded.record`,
      vendorIncidentParams(incident),
    );
  }

  async listVendorIncidents(query: VendorIncidentQuery): Promise<VendorIncident[]> {
    const { where, params } = vendorIncidentFilter(query, (n) => `$${n}`);
    const limit = query.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
    const rows = await this.pool.query<Pick<VendorIncidentDbRow<VendorIncident>, 'record'>>(`SELECT record FROM ${this.s}.vendor_incidents ${where} ${VENDOR_INCIDENT_ORDER}${limit}`, params);
    return rows.rows.map((r) => r.record);
  }

  async prune(cutoffs: PruneCutoffs): Promise<void> {
    // Batch ids are only needed while a retry could come: keep them a day, or as long as rollups if shorter.
    const batchesBefore = Math.max(cutoffs.rollupsBefore, this.clock.now() - this.batchMemoryMs);
    await this.transaction(async (client) => {
      await client.query(`DELETE FROM ${this.s}.rollups WHERE minute < $1`, [cutoffs.rollupsBefore]);
      await client.query(`DELETE FROM ${this.s}.vendor_incidents WHERE resolved_at < $1`, [cutoffs.incidentsBefore]);
      await client.query(`DELETE FROM ${this.s}.rollup_batches WHERE added_at < $1`, [batchesBefore]);
      await client.query(`DELETE FROM ${this.s}.attempt_samples WHERE at < $1`, [cutoffs.samplesBefore]);
      // Open incidents are kept however old: they are still news. Their updates go by cascade.
      await client.query(`DELETE FROM ${this.s}.incidents WHERE status = 'resolved' AND resolved_at < $1`, [cutoffs.incidentsBefore]);
      if (cutoffs.responsesBefore !== undefined) await client.query(`DELETE FROM ${this.s}.responses WHERE created_at < $1`, [cutoffs.responsesBefore]);
    });
  }

  /** Loads the updates of the given incidents in one query and assembles them, keeping the rows' order. */
  private async withUpdates(rows: PgIncidentRow[]): Promise<Incident[]> {
    if (rows.length === 0) return [];
    const sql = `SELECT * FROM ${this.s}.incident_updates WHERE incident_id = ANY($1::text[]) ORDER BY incident_id, seq`;
    const updates = (await this.pool.query<PgUpdateRow>(sql, [rows.map((r) => r.id)])).rows;
    const byIncident = new Map<string, PgUpdateRow[]>();
    for (const u of updates) {
      const list = byIncident.get(u.incident_id) ?? [];
      list.push(u);
      byIncident.set(u.incident_id, list);
    }
    return rows.map((row) => toIncident(row, byIncident.get(row.id) ?? []));
  }

  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      await inTransaction(client, () => work(client));
    } catch (err) {
      failed = err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      // A connection that failed mid-transaction may be broken: the pool discards it rather than reuse it.
      client.release(failed);
    }
  }
}
