/**
 * Incidents and maintenance as the public sees them: titles, statuses, timestamps and update messages,
 * with a component name instead of an internal id. Evidence (upstream error messages, request ids) and
 * operator names stay behind; every text is passed through the secret registry once more in case an
 * operator pasted something they should not have.
 */
import { secrets } from '../core/secrets.js';
import type { Incident, MaintenanceWindow } from '../store/store.js';
import type { PublicIncident, PublicMaintenance } from './status-model.js';

/** `deployment:gpt-direct` → `gpt-direct`, `provider:openai` → `openai`, `keel` → `Keel`. */
export function componentName(component: string): string {
  if (component === 'keel') return 'Keel';
  const colon = component.indexOf(':');
  return colon === -1 ? component : component.slice(colon + 1);
}

export function publicIncident(incident: Incident): PublicIncident {
  const updates = incident.updates.map((u) => ({ at: u.at, status: u.status, message: secrets.redact(u.message), automatic: u.author === 'keel' }));
  const monitoring = incident.updates.findLast((u) => u.status === 'monitoring');
  const result: PublicIncident = {
    id: incident.id,
    title: secrets.redact(incident.title),
    component: incident.component,
    componentName: componentName(incident.component),
    status: incident.status,
    impact: incident.impact,
    openedAt: incident.openedAt,
    updatedAt: incident.updates.at(-1)?.at ?? incident.openedAt,
    impactStart: incident.impactStart,
    updates,
  };
  if (incident.resolvedAt !== undefined) result.resolvedAt = incident.resolvedAt;
  if (monitoring !== undefined) result.monitoringAt = monitoring.at;
  if (incident.impactEnd !== undefined) result.impactEnd = incident.impactEnd;
  return result;
}

export function publicMaintenance(window: MaintenanceWindow, nowMs: number): PublicMaintenance {
  return {
    id: window.id,
    component: window.component,
    componentName: componentName(window.component),
    startsAt: window.startsAt,
    endsAt: window.endsAt,
    description: secrets.redact(window.description),
    state: nowMs < window.startsAt ? 'scheduled' : nowMs < window.endsAt ? 'in_progress' : 'completed',
  };
}

/** The span an incident affected its component: its measured impact window, else its open life. */
export function incidentSpan(incident: PublicIncident, nowMs: number): { fromMs: number; toMs: number } {
  return { fromMs: incident.impactStart, toMs: incident.impactEnd ?? incident.resolvedAt ?? nowMs };
}
