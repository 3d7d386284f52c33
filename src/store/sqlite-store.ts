/**
 * The embedded store: one SQLite file through better-sqlite3. better-sqlite3 is synchronous, so each
 * method does its work at once inside the promise the interface asks for; every call is one short
 * statement or one transaction, and the hot writes (rollups, samples) arrive in batches from the
 * recorder every few seconds, never from the request path.
 */
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../core/clock.js';
import { applyMigrations, schemaVersion } from './sqlite-migrations.js';
import { addRollup } from './rollup-math.js';
import { toStoredResponse, type ResponseDbRow } from './response-rows.js';
import { VENDOR_INCIDENT_ORDER, vendorIncidentFilter, vendorIncidentParams, type VendorIncidentDbRow } from './vendor-incident-rows.js';
import {
  incidentParams,
  keyParams,
  toAuditEntry,
  toIncident,
  toKey,
  toMaintenance,
  toRollup,
  toSample,
  type IncidentRow,
  type KeyRow,
  type RollupDbRow,
  type UpdateRow,
} from './sqlite-rows.js';
import type {
  PruneCutoffs,
  StoredResponse,
  AttemptSample,
  AuditEntry,
  Incident,
  MaintenanceWindow,
  RollupQuery,
  RollupRow,
  Store,
  VendorIncident,
  VendorIncidentQuery,
  VirtualKeyRecord,
} from './store.js';

export interface SqliteStoreOptions {
  /** A file path, or `:memory:` for tests. */
  path: string;
  /** How long a write waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
  clock?: Clock;
}

export const SQLITE_DEFAULTS = {
  // Long enough to outlast another process's batch or a checkpoint; short enough that a wedged lock
  // surfaces as an error the recorder retries rather than a silent stall.
  busyTimeoutMs: 5_000, // 5 s
} as const;

type Params = Record<string, string | number | null>;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(options: SqliteStoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.db = new Database(options.path);
    // WAL: readers (status page, SLO reports) never block the recorder's writes, nor it them.
    this.db.pragma('journal_mode = WAL');
    // NORMAL with WAL syncs at checkpoints, not at every commit. A process crash (kill -9, OOM) loses
    // nothing committed and never corrupts the file: committed pages are already in the WAL in the OS
    // cache. Only an OS crash or power loss can drop the last few transactions, which is an acceptable
    // price for rollups we rewrite every few seconds; FULL would fsync on each batch.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? SQLITE_DEFAULTS.busyTimeoutMs}`);
    // Incident updates go with their incident (ON DELETE CASCADE) only when this is on.
    this.db.pragma('foreign_keys = ON');
  }

  async migrate(): Promise<void> {
    applyMigrations(this.db, undefined, this.clock.now());
  }

  /** The highest schema step applied to the file. */
  schemaVersion(): number {
    return schemaVersion(this.db);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.db.pragma('optimize');
    this.db.close();
  }

  async addRollups(rows: RollupRow[]): Promise<void> {
    if (rows.length === 0) return;
    const select = this.stmt('SELECT * FROM rollups WHERE scope = ? AND id = ? AND source = ? AND minute = ?');
    const upsert = this.stmt(`
      INSERT INTO rollups (scope, id, source, minute, outcomes, latency_histogram, ttft_histogram,
                           latency_sum_ms, input_tokens, output_tokens, cost)
      VALUES (@scope, @id, @source, @minute, @outcomes, @latencyHistogram, @ttftHistogram,
              @latencySumMs, @inputTokens, @outputTokens, @cost)
      ON CONFLICT (scope, id, source, minute) DO UPDATE SET
        outcomes = excluded.outcomes, latency_histogram = excluded.latency_histogram,
        ttft_histogram = excluded.ttft_histogram, latency_sum_ms = excluded.latency_sum_ms,
        input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, cost = excluded.cost`);
    // Read-add-write under the write lock taken at BEGIN (IMMEDIATE): a deferred transaction that read
    // first would fail to upgrade if another process wrote meanwhile, and a lost add is a wrong SLA.
    this.db
      .transaction(() => {
        for (const row of rows) {
          const stored = select.get(row.scope, row.id, row.source, row.minute) as RollupDbRow | undefined;
          const merged = stored === undefined ? row : addRollup(toRollup(stored), row);
          upsert.run({
            scope: merged.scope,
            id: merged.id,
            source: merged.source,
            minute: merged.minute,
            outcomes: JSON.stringify(merged.outcomes),
            latencyHistogram: JSON.stringify(merged.latencyHistogram),
            ttftHistogram: JSON.stringify(merged.ttftHistogram),
            latencySumMs: merged.latencySumMs,
            inputTokens: merged.inputTokens,
            outputTokens: merged.outputTokens,
            cost: merged.cost,
          });
        }
      })
      .immediate();
  }

  async readRollups(query: RollupQuery): Promise<RollupRow[]> {
    const where = ['minute >= @fromMinute', 'minute < @toMinute'];
    const params: Params = { fromMinute: query.fromMinute, toMinute: query.toMinute };
    for (const column of ['scope', 'id', 'source'] as const) {
      const value = query[column];
      if (value === undefined) continue;
      where.push(`${column} = @${column}`);
      params[column] = value;
    }
    const sql = `SELECT * FROM rollups WHERE ${where.join(' AND ')} ORDER BY minute, scope, id, source`;
    return (this.stmt(sql).all(params) as RollupDbRow[]).map(toRollup);
  }

  async addSamples(samples: AttemptSample[]): Promise<void> {
    if (samples.length === 0) return;
    const insert = this.stmt(`
      INSERT INTO attempt_samples (at, deployment, route, outcome, status, latency_ms, message, request_id)
      VALUES (@at, @deployment, @route, @outcome, @status, @latencyMs, @message, @requestId)`);
    this.db.transaction(() => {
      for (const s of samples) insert.run({ ...s, status: s.status ?? null, message: s.message ?? null });
    })();
  }

  async readSamples(query: { deployment?: string; from: number; to: number; limit: number }): Promise<AttemptSample[]> {
    const byDeployment = query.deployment === undefined ? '' : 'deployment = @deployment AND ';
    const sql = `SELECT * FROM attempt_samples WHERE ${byDeployment}at >= @from AND at < @to ORDER BY at DESC, seq DESC LIMIT @limit`;
    const params: Params = { from: query.from, to: query.to, limit: query.limit };
    if (query.deployment !== undefined) params.deployment = query.deployment;
    return (this.stmt(sql).all(params) as Parameters<typeof toSample>[0][]).map(toSample);
  }

  async saveIncident(incident: Incident): Promise<void> {
    const upsert = this.stmt(`
      INSERT INTO incidents (id, component, title, status, impact, opened_at, resolved_at, impact_start, impact_end)
      VALUES (@id, @component, @title, @status, @impact, @openedAt, @resolvedAt, @impactStart, @impactEnd)
      ON CONFLICT (id) DO UPDATE SET
        component = excluded.component, title = excluded.title, status = excluded.status, impact = excluded.impact,
        opened_at = excluded.opened_at, resolved_at = excluded.resolved_at,
        impact_start = excluded.impact_start, impact_end = excluded.impact_end`);
    const clear = this.stmt('DELETE FROM incident_updates WHERE incident_id = ?');
    const insert = this.stmt(`
      INSERT INTO incident_updates (incident_id, seq, at, status, message, evidence, author)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    // The incident object is the whole truth: its updates are replaced, not appended, so a save is idempotent.
    this.db.transaction(() => {
      upsert.run(incidentParams(incident));
      clear.run(incident.id);
      incident.updates.forEach((u, seq) => {
        insert.run(incident.id, seq, u.at, u.status, u.message, u.evidence === undefined ? null : JSON.stringify(u.evidence), u.author);
      });
    })();
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = this.stmt('SELECT * FROM incidents WHERE id = ?').get(id) as IncidentRow | undefined;
    return row === undefined ? undefined : this.withUpdates([row])[0];
  }

  async listIncidents(query: { from?: number; to?: number; component?: string; openOnly?: boolean; limit?: number }): Promise<Incident[]> {
    const where: string[] = [];
    const params: Params = {};
    // from/to select incidents whose life overlaps the range: opened before `to`, not resolved before `from`.
    if (query.from !== undefined) {
      where.push('(resolved_at IS NULL OR resolved_at >= @from)');
      params.from = query.from;
    }
    if (query.to !== undefined) {
      where.push('opened_at < @to');
      params.to = query.to;
    }
    if (query.component !== undefined) {
      where.push('component = @component');
      params.component = query.component;
    }
    if (query.openOnly === true) where.push(`status <> 'resolved'`);
    const limit = query.limit === undefined ? '' : ' LIMIT @limit';
    if (query.limit !== undefined) params.limit = query.limit;
    const filter = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
    const rows = this.stmt(`SELECT * FROM incidents${filter} ORDER BY opened_at DESC, id DESC${limit}`).all(params) as IncidentRow[];
    return this.withUpdates(rows);
  }

  async saveMaintenance(window: MaintenanceWindow): Promise<void> {
    this.stmt(`
      INSERT INTO maintenance_windows (id, component, starts_at, ends_at, description, created_by)
      VALUES (@id, @component, @startsAt, @endsAt, @description, @createdBy)
      ON CONFLICT (id) DO UPDATE SET component = excluded.component, starts_at = excluded.starts_at,
        ends_at = excluded.ends_at, description = excluded.description, created_by = excluded.created_by`).run({ ...window });
  }

  async listMaintenance(query: { from: number; to: number }): Promise<MaintenanceWindow[]> {
    const sql = 'SELECT * FROM maintenance_windows WHERE starts_at < @to AND ends_at > @from ORDER BY starts_at, id';
    return (this.stmt(sql).all({ from: query.from, to: query.to }) as Parameters<typeof toMaintenance>[0][]).map(toMaintenance);
  }

  async saveKey(key: VirtualKeyRecord): Promise<void> {
    this.stmt(`
      INSERT INTO virtual_keys (id, name, hash, prefix, tenant, allowed_models, rpm, tpm, daily_budget_usd,
                                monthly_budget_usd, priority, created_at, expires_at, revoked_at)
      VALUES (@id, @name, @hash, @prefix, @tenant, @allowedModels, @rpm, @tpm, @dailyBudgetUsd,
              @monthlyBudgetUsd, @priority, @createdAt, @expiresAt, @revokedAt)
      ON CONFLICT (id) DO UPDATE SET name = excluded.name, hash = excluded.hash, prefix = excluded.prefix,
        tenant = excluded.tenant, allowed_models = excluded.allowed_models, rpm = excluded.rpm, tpm = excluded.tpm,
        daily_budget_usd = excluded.daily_budget_usd, monthly_budget_usd = excluded.monthly_budget_usd,
        priority = excluded.priority, created_at = excluded.created_at, expires_at = excluded.expires_at,
        revoked_at = excluded.revoked_at`).run(keyParams(key));
  }

  async getKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined> {
    const row = this.stmt('SELECT * FROM virtual_keys WHERE hash = ?').get(hash) as KeyRow | undefined;
    return row === undefined ? undefined : toKey(row);
  }

  async listKeys(): Promise<VirtualKeyRecord[]> {
    return (this.stmt('SELECT * FROM virtual_keys ORDER BY created_at, id').all() as KeyRow[]).map(toKey);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.appendAuditEntries([entry]);
  }

  async appendAuditEntries(entries: readonly AuditEntry[]): Promise<void> {
    const insert = this.stmt('INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)');
    // One transaction: SQLite commits each statement on its own otherwise, which for a thousand entries
    // blocked the event loop for about 90 ms.
    this.db.transaction(() => {
      for (const e of entries) insert.run(e.at, e.actor, e.action, e.target, e.details === undefined ? null : JSON.stringify(e.details));
    })();
  }

  async listAudit(query: { from?: number; limit: number }): Promise<AuditEntry[]> {
    const from = query.from === undefined ? '' : 'WHERE at >= @from ';
    const params: Params = { limit: query.limit };
    if (query.from !== undefined) params.from = query.from;
    const rows = this.stmt(`SELECT * FROM audit_log ${from}ORDER BY at DESC, seq DESC LIMIT @limit`).all(params);
    return (rows as Parameters<typeof toAuditEntry>[0][]).map(toAuditEntry);
  }

  async saveResponse(response: StoredResponse): Promise<void> {
    this.stmt('INSERT OR REPLACE INTO responses (tenant, id, created_at, response, items) VALUES (?, ?, ?, ?, ?)')
      .run(response.tenant, response.id, response.createdAt, JSON.stringify(response.response), JSON.stringify(response.items));
  }

  async getResponse(tenant: string, id: string): Promise<StoredResponse | undefined> {
    const row = this.stmt('SELECT * FROM responses WHERE tenant = ? AND id = ?').get(tenant, id) as ResponseDbRow | undefined;
    return row === undefined ? undefined : toStoredResponse(row);
  }

  async deleteResponse(tenant: string, id: string): Promise<boolean> {
    return this.stmt('DELETE FROM responses WHERE tenant = ? AND id = ?').run(tenant, id).changes > 0;
  }

  async saveVendorIncident(incident: VendorIncident): Promise<void> {
    this.stmt('INSERT OR REPLACE INTO vendor_incidents (source, id, started_at, resolved_at, record) VALUES (?, ?, ?, ?, ?)').run(...vendorIncidentParams(incident));
  }

  async listVendorIncidents(query: VendorIncidentQuery): Promise<VendorIncident[]> {
    const { where, params } = vendorIncidentFilter(query, () => '?');
    const limit = query.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(query.limit))}`;
    const rows = this.stmt(`SELECT record FROM vendor_incidents ${where} ${VENDOR_INCIDENT_ORDER}${limit}`).all(...params) as Pick<VendorIncidentDbRow<string>, 'record'>[];
    return rows.map((r) => JSON.parse(r.record) as VendorIncident);
  }

  async prune(cutoffs: PruneCutoffs): Promise<void> {
    this.db.transaction(() => {
      this.stmt('DELETE FROM vendor_incidents WHERE resolved_at < ?').run(cutoffs.incidentsBefore);
      if (cutoffs.responsesBefore !== undefined) this.stmt('DELETE FROM responses WHERE created_at < ?').run(cutoffs.responsesBefore);
      this.stmt('DELETE FROM rollups WHERE minute < ?').run(cutoffs.rollupsBefore);
      this.stmt('DELETE FROM attempt_samples WHERE at < ?').run(cutoffs.samplesBefore);
      // Open incidents are kept however old: they are still news. Their updates go by cascade.
      this.stmt(`DELETE FROM incidents WHERE status = 'resolved' AND resolved_at < ?`).run(cutoffs.incidentsBefore);
    })();
  }

  /** Loads the updates of the given incidents in one query and assembles them, keeping the rows' order. */
  private withUpdates(rows: IncidentRow[]): Incident[] {
    if (rows.length === 0) return [];
    const sql = 'SELECT * FROM incident_updates WHERE incident_id IN (SELECT value FROM json_each(?)) ORDER BY incident_id, seq';
    const updates = this.stmt(sql).all(JSON.stringify(rows.map((r) => r.id))) as UpdateRow[];
    const byIncident = new Map<string, UpdateRow[]>();
    for (const u of updates) {
      const list = byIncident.get(u.incident_id) ?? [];
      list.push(u);
      byIncident.set(u.incident_id, list);
    }
    return rows.map((row) => toIncident(row, byIncident.get(row.id) ?? []));
  }

  /** Statements are prepared once per SQL text (the dynamic queries have a handful of shapes). */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
