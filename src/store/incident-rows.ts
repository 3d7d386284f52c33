/**
 * Incident rows as both SQL stores hold them (same columns in SQLite and PostgreSQL), turned back into
 * records. Only how an update's evidence is stored differs (JSON text, or jsonb already parsed), so each
 * store passes its own reader.
 */
import type { Incident, IncidentStatus, IncidentUpdate } from './store.js';

export interface IncidentRow {
  id: string;
  component: string;
  title: string;
  status: IncidentStatus;
  impact: Incident['impact'];
  opened_at: number;
  resolved_at: number | null;
  impact_start: number;
  impact_end: number | null;
}

export interface UpdateRow<Evidence> {
  incident_id: string;
  seq: number;
  at: number;
  status: IncidentStatus;
  message: string;
  evidence: Evidence | null;
  author: string;
}

export function toIncident<Evidence>(row: IncidentRow, updates: UpdateRow<Evidence>[], readEvidence: (stored: Evidence) => Record<string, unknown>): Incident {
  const incident: Incident = {
    id: row.id,
    component: row.component,
    title: row.title,
    status: row.status,
    impact: row.impact,
    openedAt: row.opened_at,
    impactStart: row.impact_start,
    updates: updates.map((u) => {
      const update: IncidentUpdate = { at: u.at, status: u.status, message: u.message, author: u.author };
      if (u.evidence !== null) update.evidence = readEvidence(u.evidence);
      return update;
    }),
  };
  if (row.resolved_at !== null) incident.resolvedAt = row.resolved_at;
  if (row.impact_end !== null) incident.impactEnd = row.impact_end;
  return incident;
}
