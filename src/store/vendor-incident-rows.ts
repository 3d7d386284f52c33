/**
 * Vendor incidents as both SQL stores hold them: the whole record as JSON, beside the few columns queries
 * filter and sort on. The filter is built once here for both dialects (only the placeholder differs), so
 * SQLite and PostgreSQL cannot drift on which incidents overlap a range.
 */
import type { VendorIncident, VendorIncidentQuery } from './store.js';

export interface VendorIncidentDbRow<Stored> {
  source: string;
  id: string;
  started_at: number;
  resolved_at: number | null;
  record: Stored;
}

/** The column values to insert for an incident, in the order source, id, started_at, resolved_at, record. */
export function vendorIncidentParams(incident: VendorIncident): [string, string, number, number | null, string] {
  return [incident.source, incident.id, incident.startedAt, incident.resolvedAt ?? null, JSON.stringify(incident)];
}

/** `WHERE …` (or '') and its parameters; `placeholder(n)` spells the n-th parameter (1-based). */
export function vendorIncidentFilter(q: VendorIncidentQuery, placeholder: (n: number) => string): { where: string; params: (string | number)[] } {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  const add = (sql: (p: string) => string, value: string | number): void => {
    params.push(value);
    clauses.push(sql(placeholder(params.length)));
  };
  if (q.source !== undefined) add((p) => `source = ${p}`, q.source);
  if (q.to !== undefined) add((p) => `started_at < ${p}`, q.to);
  if (q.from !== undefined) add((p) => `(resolved_at IS NULL OR resolved_at >= ${p})`, q.from);
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

export const VENDOR_INCIDENT_ORDER = 'ORDER BY started_at DESC, source, id';
