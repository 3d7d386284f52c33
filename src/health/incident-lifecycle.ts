/**
 * Small pure helpers for incident records: new ids, appending a timestamped update, the impact window's
 * minute arithmetic, and the evidence object stored with each automatic update.
 */
import { randomBytes } from 'node:crypto';
import type { ComponentStatus, Incident, IncidentStatus, IncidentUpdate } from '../store/store.js';
import type { DeploymentHealth } from './health-windows.js';
import type { CauseCategory, Evidence } from './incident-evidence.js';
import { STATUS_SEVERITY } from './judge-status.js';

const MINUTE_MS = 60_000;

export const INCIDENT_STATUSES: readonly IncidentStatus[] = ['investigating', 'identified', 'monitoring', 'resolved'];
export const AUTOMATIC_AUTHOR = 'keel';

export function newIncidentId(nowMs: number): string {
  return `inc_${nowMs.toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** The end of the minute `ms` falls in (an instant exactly on a boundary closes the minute before it). */
export function minuteEnd(ms: number): number {
  return floorMinute(ms - 1) + MINUTE_MS;
}

export function appendUpdate(incident: Incident, update: IncidentUpdate): IncidentUpdate {
  incident.status = update.status;
  incident.updates.push(update);
  if (update.status === 'resolved') incident.resolvedAt = update.at;
  else delete incident.resolvedAt;
  return update;
}

/** The worse of an incident's impact so far and a new status; statuses that are not outages change nothing. */
export function worseImpact(current: Incident['impact'], status: ComponentStatus): Incident['impact'] {
  if (status === 'operational' || status === 'under_maintenance') return current;
  return STATUS_SEVERITY[status] > STATUS_SEVERITY[current] ? status : current;
}

/** What an automatic update stores as evidence: counts, examples and failovers, and health's own view. */
export function evidenceRecord(h: DeploymentHealth, evidence: Evidence, cause?: CauseCategory): Record<string, unknown> {
  const record: Record<string, unknown> = {
    fromMs: evidence.fromMs,
    toMs: evidence.toMs,
    attempts: evidence.attempts,
    faults: evidence.faults,
    probes: evidence.probes,
    errorRate: evidence.attempts === 0 ? 0 : Number((evidence.faults / evidence.attempts).toFixed(4)),
    outcomes: evidence.outcomes,
    examples: evidence.examples,
    failovers: evidence.failovers,
    health: {
      status: h.status,
      reason: h.reason,
      breaker: h.breaker,
      lastMinute: { attempts: h.short.attempts, faults: h.short.faults, outcomes: h.short.outcomes },
      ...(h.short.ttftMs === undefined ? {} : { ttftMs: h.short.ttftMs }),
    },
  };
  if (cause !== undefined) record['cause'] = cause;
  return record;
}
