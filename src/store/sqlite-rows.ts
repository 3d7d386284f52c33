/**
 * Mapping between SQLite rows (snake_case columns, JSON text, NULLs) and the store's records
 * (camelCase, arrays and objects, absent optional fields). Kept apart from the queries so each reads
 * on its own; an optional field stored as NULL comes back absent, never as `undefined` or `null`.
 */
import { toIncident as toIncidentRow, type IncidentRow, type UpdateRow as UpdateRowOf } from './incident-rows.js';
import type { Outcome } from '../core/outcome.js';
import type {
  AttemptSample,
  AuditEntry,
  Incident,
  MaintenanceWindow,
  RollupRow,
  RollupScope,
  RollupSource,
  VirtualKeyRecord,
} from './store.js';

export interface RollupDbRow {
  scope: RollupScope;
  id: string;
  source: RollupSource;
  minute: number;
  outcomes: string;
  latency_histogram: string;
  ttft_histogram: string;
  latency_sum_ms: number;
  input_tokens: number;
  output_tokens: number;
  cost: number;
}

export function toRollup(row: RollupDbRow): RollupRow {
  return {
    minute: row.minute,
    scope: row.scope,
    id: row.id,
    source: row.source,
    outcomes: JSON.parse(row.outcomes) as Record<string, number>,
    latencyHistogram: JSON.parse(row.latency_histogram) as number[],
    ttftHistogram: JSON.parse(row.ttft_histogram) as number[],
    latencySumMs: row.latency_sum_ms,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cost: row.cost,
  };
}

export function toSample(row: {
  at: number;
  deployment: string;
  route: string;
  outcome: string;
  status: number | null;
  latency_ms: number;
  message: string | null;
  request_id: string;
}): AttemptSample {
  const sample: AttemptSample = {
    at: row.at,
    deployment: row.deployment,
    route: row.route,
    outcome: row.outcome as Outcome,
    latencyMs: row.latency_ms,
    requestId: row.request_id,
  };
  if (row.status !== null) sample.status = row.status;
  if (row.message !== null) sample.message = row.message;
  return sample;
}

export type { IncidentRow } from './incident-rows.js';
/** SQLite keeps an update's evidence as JSON text. */
export type UpdateRow = UpdateRowOf<string>;

export function incidentParams(incident: Incident): Record<string, string | number | null> {
  return {
    id: incident.id,
    component: incident.component,
    title: incident.title,
    status: incident.status,
    impact: incident.impact,
    openedAt: incident.openedAt,
    resolvedAt: incident.resolvedAt ?? null,
    impactStart: incident.impactStart,
    impactEnd: incident.impactEnd ?? null,
  };
}

export function toIncident(row: IncidentRow, updates: UpdateRow[]): Incident {
  return toIncidentRow(row, updates, (text) => JSON.parse(text) as Record<string, unknown>);
}

export function toMaintenance(row: {
  id: string;
  component: string;
  starts_at: number;
  ends_at: number;
  description: string;
  created_by: string;
}): MaintenanceWindow {
  return {
    id: row.id,
    component: row.component,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    description: row.description,
    createdBy: row.created_by,
  };
}

export interface KeyRow {
  id: string;
  name: string;
  hash: string;
  prefix: string;
  tenant: string;
  allowed_models: string | null;
  rpm: number | null;
  tpm: number | null;
  daily_budget_usd: number | null;
  monthly_budget_usd: number | null;
  priority: VirtualKeyRecord['priority'];
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export function keyParams(key: VirtualKeyRecord): Record<string, string | number | null> {
  return { ...key, allowedModels: key.allowedModels === null ? null : JSON.stringify(key.allowedModels) };
}

export function toKey(row: KeyRow): VirtualKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    prefix: row.prefix,
    tenant: row.tenant,
    allowedModels: row.allowed_models === null ? null : (JSON.parse(row.allowed_models) as string[]),
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

export function toAuditEntry(row: { at: number; actor: string; action: string; target: string; details: string | null }): AuditEntry {
  const entry: AuditEntry = { at: row.at, actor: row.actor, action: row.action, target: row.target };
  if (row.details !== null) entry.details = JSON.parse(row.details) as Record<string, unknown>;
  return entry;
}
