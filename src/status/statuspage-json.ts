/**
 * The status model in Atlassian Statuspage's public API shapes, so existing dashboards, bots and
 * aggregators read Keel like any hosted status page: `summary.json` (page, components, unresolved
 * incidents, scheduled maintenances, status indicator) and `incidents.json`. Components are Keel, each
 * provider as a group, and its deployments inside it. Times are ISO 8601 in UTC.
 */
import type { TwoVoices, Window } from '../health/vendor/two-voices.js';
import type { ComponentStatus } from '../store/store.js';
import type { PublicIncident, PublicMaintenance, StatusComponent, StatusModel, StatuspageIndicator } from './status-model.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Statuspage rates an incident's impact none|minor|major|critical. */
export function impactIndicator(impact: ComponentStatus): StatuspageIndicator {
  return impact === 'major_outage' ? 'critical' : impact === 'partial_outage' ? 'major' : impact === 'degraded_performance' ? 'minor' : 'none';
}

function pageOf(model: StatusModel) {
  return { id: 'keel', name: model.page.name, url: model.page.url ?? null, time_zone: 'Etc/UTC', updated_at: iso(model.page.generatedAtMs) };
}

function componentJson(c: StatusComponent, index: number, model: StatusModel) {
  const children = model.components.filter((x) => x.groupId === c.id).map((x) => x.id);
  const at = iso(model.page.generatedAtMs);
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    created_at: at,
    updated_at: at,
    position: index + 1,
    description: c.kind === 'keel' ? 'What clients receive from Keel' : c.kind === 'provider' ? `Provider ${c.name}` : `Deployment ${c.name}`,
    showcase: true,
    start_date: null,
    group_id: c.groupId ?? null,
    page_id: 'keel',
    group: c.kind === 'provider',
    only_show_if_degraded: false,
    ...(c.kind === 'provider' ? { components: children } : {}),
  };
}

function affected(model: StatusModel, componentId: string) {
  const found = model.components.findIndex((c) => c.id === componentId);
  return found === -1 ? [] : [componentJson(model.components[found]!, found, model)];
}

export function incidentJson(i: PublicIncident, model: StatusModel) {
  const components = affected(model, i.component);
  return {
    id: i.id,
    name: i.title,
    status: i.status,
    created_at: iso(i.openedAt),
    updated_at: iso(i.updatedAt),
    monitoring_at: iso(i.monitoringAt),
    resolved_at: iso(i.resolvedAt),
    impact: impactIndicator(i.impact),
    shortlink: model.page.url === undefined ? null : `${model.page.url}/status#${i.id}`,
    // When the measured impact began: earlier than created_at, which is when Keel was sure.
    started_at: iso(i.impactStart),
    page_id: 'keel',
    incident_updates: [...i.updates].reverse().map((u, n) => ({
      id: `${i.id}-u${i.updates.length - n}`,
      status: u.status,
      body: u.message,
      incident_id: i.id,
      created_at: iso(u.at),
      updated_at: iso(u.at),
      display_at: iso(u.at),
      affected_components: components.map((c) => ({ code: c.id, name: c.name, old_status: c.status, new_status: c.status })),
      deliver_notifications: true,
      custom_tweet: null,
      tweet_id: null,
    })),
    components,
    ...(i.vendor === undefined ? {} : { keel_vendor: vendorJson(i.vendor) }),
  };
}

/** Keel's own field (Statuspage has none like it): the vendor's voice beside Keel's, in snake_case. */
function vendorJson(v: TwoVoices) {
  const windowJson = (w: Window) => ({ start: iso(w.startMs), end: iso(w.endMs) });
  return {
    summary: v.summary,
    detected_by_keel_at: iso(v.keelDetectedAtMs),
    measured_window: windowJson(v.measured),
    disagreement: v.disagreement ?? null,
    vendor_incidents: v.vendor.map((x) => ({
      source: x.source,
      id: x.id,
      title: x.title,
      status: x.status,
      impact: x.impact,
      url: x.url ?? null,
      acknowledged_at: iso(x.acknowledgedAtMs),
      acknowledged_as: x.acknowledgedAs,
      keel_lead_seconds: Math.round(x.leadMs / 1000),
      declared_window: windowJson(x.declared),
      first_seen_by_keel_at: iso(x.firstSeenAtMs),
      updates: x.updates.map((u) => ({ at: iso(u.at), status: u.status, body: u.body })),
    })),
  };
}

function maintenanceJson(m: PublicMaintenance, model: StatusModel) {
  const at = iso(m.startsAt);
  return {
    id: m.id,
    name: `Maintenance: ${m.componentName}`,
    status: m.state,
    created_at: at,
    updated_at: at,
    monitoring_at: null,
    resolved_at: m.state === 'completed' ? iso(m.endsAt) : null,
    impact: 'maintenance',
    shortlink: null,
    started_at: at,
    page_id: 'keel',
    scheduled_for: at,
    scheduled_until: iso(m.endsAt),
    incident_updates: [{ id: `${m.id}-u1`, status: m.state, body: m.description, incident_id: m.id, created_at: at, updated_at: at, display_at: at, affected_components: [], deliver_notifications: true, custom_tweet: null, tweet_id: null }],
    components: affected(model, m.component),
  };
}

/** `GET /status.json`: the shape of Statuspage's `/api/v2/summary.json`. */
export function summaryJson(model: StatusModel) {
  return {
    page: pageOf(model),
    components: model.components.map((c, i) => componentJson(c, i, model)),
    incidents: model.incidents.active.map((i) => incidentJson(i, model)),
    scheduled_maintenances: model.maintenance.filter((m) => m.state !== 'completed').map((m) => maintenanceJson(m, model)),
    status: { indicator: model.overall.indicator, description: model.overall.description },
  };
}

/** `GET /status/incidents.json`: Statuspage's `/api/v2/incidents.json`, newest first. */
export function incidentsJson(model: StatusModel, all: readonly PublicIncident[] = model.incidents.all) {
  return { page: pageOf(model), incidents: [...all].sort((a, b) => b.openedAt - a.openedAt).map((i) => incidentJson(i, model)) };
}
