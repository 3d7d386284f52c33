/**
 * Mapping between PostgreSQL rows and the store's records. The pool parses `bigint` (epoch ms, counts)
 * and `bigint[]` (histograms) to numbers and `jsonb` to values, so unlike SQLite nothing here parses
 * text; what remains is naming (snake_case ↔ camelCase) and NULL ↔ absent optional fields. Samples and
 * maintenance windows share SQLite's column names and types, so their mappings are reused.
 */
import { toIncident as toIncidentRow, type IncidentRow, type UpdateRow } from '../incident-rows.js';
import { types, type CustomTypesConfig } from 'pg';
import type { Incident, RollupRow, RollupScope, RollupSource, VirtualKeyRecord, AuditEntry } from '../store.js';
export { toMaintenance, toSample } from '../sqlite-rows.js';

type TypeId = Parameters<typeof types.getTypeParser>[0];
const INT8 = 20;
const INT8_ARRAY = 1016;
const INT4_ARRAY = 1007 as TypeId; // pg's TypeId lists scalar types only
// The int4[] parser turns each element into a number; our bigint arrays are counts far below 2^53.
const parseNumberArray = types.getTypeParser(INT4_ARRAY) as (value: string) => number[];

/**
 * Epoch milliseconds and counts are far below 2^53, so `bigint` comes back as a number instead of pg's
 * default string. Per pool, not `types.setTypeParser`: that would change every pg user in the process.
 */
export const NUMERIC_BIGINTS: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (value: string) => Number(value);
    if (oid === INT8_ARRAY) return parseNumberArray;
    return types.getTypeParser(oid, format);
  }) as CustomTypesConfig['getTypeParser'],
};

export interface PgRollupRow {
  scope: RollupScope;
  id: string;
  source: RollupSource;
  minute: number;
  outcomes: Record<string, number>;
  latency_histogram: number[];
  ttft_histogram: number[];
  latency_sum_ms: number;
  input_tokens: number;
  output_tokens: number;
  cost: number;
}

export function toRollup(row: PgRollupRow): RollupRow {
  return {
    minute: row.minute,
    scope: row.scope,
    id: row.id,
    source: row.source,
    outcomes: row.outcomes,
    latencyHistogram: row.latency_histogram,
    ttftHistogram: row.ttft_histogram,
    latencySumMs: row.latency_sum_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cost: row.cost,
  };
}

/** The JSON element of a rollup batch (column names of `jsonb_to_recordset`). */
export function rollupRecord(row: RollupRow): PgRollupRow {
  return {
    scope: row.scope,
    id: row.id,
    source: row.source,
    minute: row.minute,
    outcomes: row.outcomes,
    latency_histogram: row.latencyHistogram,
    ttft_histogram: row.ttftHistogram,
    latency_sum_ms: row.latencySumMs,
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cost: row.cost,
  };
}

export type PgIncidentRow = IncidentRow;
/** PostgreSQL keeps an update's evidence as jsonb, parsed by the driver. */
export type PgUpdateRow = UpdateRow<Record<string, unknown>>;

export function toIncident(row: PgIncidentRow, updates: PgUpdateRow[]): Incident {
  return toIncidentRow(row, updates, (evidence) => evidence);
}

export interface PgKeyRow {
  id: string;
  name: string;
  hash: string;
  prefix: string;
  tenant: string;
  allowed_models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  daily_budget_usd: number | null;
  monthly_budget_usd: number | null;
  priority: VirtualKeyRecord['priority'];
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export function toKey(row: PgKeyRow): VirtualKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    prefix: row.prefix,
    tenant: row.tenant,
    allowedModels: row.allowed_models,
    rpm: row.rpm,
    tpm: row.tpm,
    dailyBudgetUsd: row.daily_budget_usd,
    monthlyBudgetUsd: row.monthly_budget_usd,
    priority: row.priority,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export function toAuditEntry(row: { at: number; actor: string; action: string; target: string; details: Record<string, unknown> | null }): AuditEntry {
  const entry: AuditEntry = { at: row.at, actor: row.actor, action: row.action, target: row.target };
  if (row.details !== null) entry.details = row.details;
  return entry;
}
