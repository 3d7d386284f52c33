/**
 * Builds the `StatusModel` from the store (rollups, incidents, maintenance), live health and the public
 * topology. Components: Keel itself, then each provider with its deployments. Each gets a current status
 * (live health, made worse by an active incident on it, or maintenance), 90 daily uptime figures (a minute
 * is down when its rollups say so or an incident's impact window covers it; uptime counts a major-outage
 * minute fully and a partial-outage minute at 30%, as Atlassian Statuspage does), plus per-route SLIs and
 * hourly latency for the last day.
 */
import { deploymentsOfComponent, twoVoices } from '../health/vendor/two-voices.js';
import type { Clock } from '../core/clock.js';
import type { HealthSnapshot } from '../health/health-windows.js';
import { STATUS_SEVERITY, worstStatus } from '../health/judge-status.js';
import { quantile } from '../health/histogram.js';
import { componentOfDeployment, componentOfProvider, KEEL_COMPONENT } from '../health/maintenance-calendar.js';
import { LATENCY_BUCKETS_MS, type ComponentStatus, type Store } from '../store/store.js';
import { DAY_MS, DayCache, type DayAggregate, type HourCounts } from './day-aggregate.js';
import { incidentSpan, publicIncident, publicMaintenance } from './public-incident.js';
import type { DayFigures, LatencySeries, PublicIncident, RouteSli, StatusComponent, StatusModel, StatusTopology, StatuspageIndicator } from './status-model.js';

export const STATUS_PAGE_DEFAULTS = {
  // What status pages have taught users to expect.
  days: 90,
  // Statuspage's weighting: a partial outage minute is 30% down.
  partialOutageWeight: 0.3,
  // Resolved incidents listed under "past incidents" on the page (the JSON lists all 90 days).
  pastIncidentDays: 14,
} as const;

export interface StatusSources {
  store: Pick<Store, 'readRollups' | 'listIncidents' | 'listMaintenance'> & Partial<Pick<Store, 'listVendorIncidents'>>;
  topology: StatusTopology;
  /** Deployments a vendor status page is read for; set, incidents carry the vendor's voice beside Keel's. */
  vendorWatched?: ReadonlySet<string>;
  clock: Clock;
  /** Live health; without it, statuses come from incidents and maintenance alone. */
  health?: { evaluate(nowMs?: number): HealthSnapshot };
  page?: { name?: string; url?: string };
  days?: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export async function buildStatusModel(sources: StatusSources, cache = new DayCache(sources.store, sources.topology)): Promise<StatusModel> {
  const now = sources.clock.now();
  const dayCount = sources.days ?? STATUS_PAGE_DEFAULTS.days;
  const days = await cache.days(now, dayCount);
  const from = days[0]!.dayStartMs;
  const providerOf = new Map<string, string>(sources.topology.deployments.map((d) => [componentOfDeployment(d.id), d.provider]));
  for (const d of sources.topology.deployments) providerOf.set(componentOfProvider(d.provider), d.provider);
  const watched = sources.vendorWatched;
  const vendorIncidents = watched === undefined ? [] : ((await sources.store.listVendorIncidents?.({ from: from - DAY_MS, limit: 1_000 })) ?? []);
  const incidents = (await sources.store.listIncidents({ from, limit: 1_000 })).map((stored) => {
    const incident = publicIncident(stored);
    if (watched !== undefined) incident.vendor = twoVoices(stored, deploymentsOfComponent(stored.component, sources.topology.deployments).map((d) => d.id), vendorIncidents, watched);
    const provider = providerOf.get(incident.component);
    return provider === undefined ? incident : { ...incident, provider };
  });
  const maintenance = (await sources.store.listMaintenance({ from: now - 7 * DAY_MS, to: now + 60 * DAY_MS })).map((w) => publicMaintenance(w, now));
  const snapshot = sources.health?.evaluate(now);

  const providers = [...new Set(sources.topology.deployments.map((d) => d.provider))];
  const specs: { id: string; name: string; kind: StatusComponent['kind']; groupId?: string; incidentScope: Set<string> }[] = [
    { id: KEEL_COMPONENT, name: 'Keel', kind: 'keel', incidentScope: new Set([KEEL_COMPONENT]) },
  ];
  for (const provider of providers) {
    const members = sources.topology.deployments.filter((d) => d.provider === provider).map((d) => componentOfDeployment(d.id));
    // A provider's tooltips list its deployments' incidents too: one place to see the provider's story.
    specs.push({ id: componentOfProvider(provider), name: provider, kind: 'provider', incidentScope: new Set([componentOfProvider(provider), ...members]) });
    for (const d of sources.topology.deployments.filter((x) => x.provider === provider)) {
      specs.push({ id: componentOfDeployment(d.id), name: d.region === undefined ? d.id : `${d.id} (${d.region})`, kind: 'deployment', groupId: componentOfProvider(provider), incidentScope: new Set([componentOfDeployment(d.id)]) });
    }
  }

  const components = specs.map((spec): StatusComponent => {
    const live = liveOf(spec.id, snapshot);
    let status = live.status;
    let reason = live.reason;
    const active = incidents.filter((i) => i.component === spec.id && (i.status === 'investigating' || i.status === 'identified'));
    for (const incident of active) {
      if (STATUS_SEVERITY[incident.impact] > STATUS_SEVERITY[status]) [status, reason] = [incident.impact, incident.title];
    }
    if (status === 'operational' && maintenance.some((m) => m.state === 'in_progress' && (m.component === spec.id || m.component === spec.groupId || m.component === KEEL_COMPONENT))) {
      [status, reason] = ['under_maintenance', 'scheduled maintenance in progress'];
    }
    const figures = days.map((day) => dayFigures(spec.id, day, incidents.filter((i) => spec.incidentScope.has(i.component)), now));
    const withData = figures.filter((f) => f.uptime !== undefined);
    const minutes = withData.reduce((sum, f) => sum + f.observedMinutes, 0);
    const down = withData.reduce((sum, f) => sum + f.majorMinutes + STATUS_PAGE_DEFAULTS.partialOutageWeight * f.partialMinutes, 0);
    const component: StatusComponent = {
      id: spec.id,
      name: spec.name,
      kind: spec.kind,
      status,
      reason,
      live: live.figures,
      days: figures,
      uptime: minutes === 0 ? undefined : 1 - down / minutes,
      observedMinutes: minutes,
      observedDays: withData.length,
    };
    if (spec.groupId !== undefined) component.groupId = spec.groupId;
    return component;
  });

  const pastFrom = now - STATUS_PAGE_DEFAULTS.pastIncidentDays * DAY_MS;
  return {
    page: { name: sources.page?.name ?? 'Keel status', url: sources.page?.url, generatedAtMs: now },
    overall: overallOf(components),
    components,
    incidents: {
      active: incidents.filter((i) => i.status !== 'resolved'),
      past: incidents.filter((i) => i.status === 'resolved' && (i.resolvedAt ?? 0) >= pastFrom),
      all: incidents,
    },
    maintenance: maintenance.filter((m) => m.state !== 'completed' || m.endsAt >= now - DAY_MS),
    slis: sources.topology.routes.flatMap((r) => [sliOf(r, days, now, '24 hours', DAY_MS), sliOf(r, days, now, '30 days', 30 * DAY_MS)]),
    latency: sources.topology.deployments.map((d) => latencyOf(d.id, days, now)),
  };
}

function liveOf(id: string, snapshot: HealthSnapshot | undefined): { status: ComponentStatus; reason: string; figures: StatusComponent['live'] } {
  if (snapshot === undefined) return { status: 'operational', reason: 'no live health data', figures: undefined };
  if (id === KEEL_COMPONENT) {
    // Keel's own live figures: every route's client requests together.
    const calls = snapshot.routes.reduce((sum, r) => sum + r.long.attempts, 0);
    const failures = snapshot.routes.reduce((sum, r) => sum + r.long.faults, 0);
    return { status: snapshot.keel.status, reason: snapshot.keel.reason, figures: { calls, errorRate: calls === 0 ? 0 : failures / calls } };
  }
  const found = snapshot.providers.find((p) => p.component === id) ?? snapshot.deployments.find((d) => d.component === id);
  if (found === undefined) return { status: 'operational', reason: 'no traffic yet', figures: undefined };
  const figures: NonNullable<StatusComponent['live']> = { calls: found.long.attempts, errorRate: found.long.errorRate };
  if (found.long.ttftMs !== undefined) Object.assign(figures, { p50TtftMs: found.long.ttftMs.p50, p95TtftMs: found.long.ttftMs.p95 });
  return { status: found.status, reason: found.reason, figures };
}

/** Minutes of a day that count: all of a past day, the elapsed part of today. */
function minutesOf(dayStartMs: number, nowMs: number): number {
  return Math.max(1, Math.min(1440, Math.ceil((nowMs - dayStartMs) / MINUTE_MS)));
}

function dayFigures(id: string, day: DayAggregate, scoped: PublicIncident[], nowMs: number): DayFigures {
  const dayEnd = day.dayStartMs + DAY_MS;
  const levels = new Uint8Array(day.levels.get(id) ?? new Uint8Array(1440));
  const overlapping = scoped.filter((i) => {
    const span = incidentSpan(i, nowMs);
    return span.fromMs < dayEnd && span.toMs > day.dayStartMs;
  });
  for (const incident of overlapping) {
    if (incident.component !== id) continue;
    const level = incident.impact === 'major_outage' ? 2 : incident.impact === 'partial_outage' ? 1 : 0;
    const span = incidentSpan(incident, nowMs);
    const first = Math.max(0, Math.floor((span.fromMs - day.dayStartMs) / MINUTE_MS));
    const last = Math.min(1440, Math.ceil((span.toMs - day.dayStartMs) / MINUTE_MS));
    for (let m = first; m < last; m++) levels[m] = Math.max(levels[m]!, level);
  }
  const counted = minutesOf(day.dayStartMs, nowMs);
  const totals = day.totals.get(id);
  const own = overlapping.filter((i) => i.component === id);
  // Observed from the day's first call or incident: minutes before Keel saw anything are not uptime.
  const firstObserved = Math.max(0, Math.min(totals !== undefined && totals.calls > 0 ? totals.firstMinute : 1440, ...own.map((i) => Math.floor((incidentSpan(i, nowMs).fromMs - day.dayStartMs) / MINUTE_MS))));
  const observedMinutes = Math.max(1, counted - firstObserved);
  let majorMinutes = 0;
  let partialMinutes = 0;
  for (let m = firstObserved; m < counted; m++) {
    if (levels[m] === 2) majorMinutes++;
    else if (levels[m] === 1) partialMinutes++;
  }
  const hasData = (totals !== undefined && totals.calls > 0) || own.length > 0;
  return {
    day: new Date(day.dayStartMs).toISOString().slice(0, 10),
    dayStartMs: day.dayStartMs,
    uptime: hasData ? 1 - (majorMinutes + STATUS_PAGE_DEFAULTS.partialOutageWeight * partialMinutes) / observedMinutes : undefined,
    observedMinutes: hasData ? observedMinutes : 0,
    majorMinutes,
    partialMinutes,
    calls: totals?.calls ?? 0,
    failures: totals?.failures ?? 0,
    incidents: overlapping.map((i) => ({ id: i.id, title: i.title, impact: i.impact })),
  };
}

/** The hourly slots of the last `windowMs` (hour-aligned), across the day aggregates. */
function hours<T>(days: DayAggregate[], nowMs: number, windowMs: number, pick: (day: DayAggregate) => T[] | undefined): { hourStartMs: number; value: T | undefined }[] {
  const out: { hourStartMs: number; value: T | undefined }[] = [];
  for (const day of days) {
    if (day.dayStartMs + DAY_MS <= nowMs - windowMs) continue;
    const values = pick(day);
    for (let h = 0; h < 24; h++) {
      const hourStartMs = day.dayStartMs + h * HOUR_MS;
      if (hourStartMs + HOUR_MS > nowMs - windowMs && hourStartMs <= nowMs) out.push({ hourStartMs, value: values?.[h] });
    }
  }
  return out;
}

function sliOf(route: { name: string; deployments: string[] }, days: DayAggregate[], nowMs: number, windowLabel: string, windowMs: number): RouteSli {
  const sum = (slots: { value: HourCounts | undefined }[]) => slots.reduce((acc, s) => ({ good: acc.good + (s.value?.good ?? 0), bad: acc.bad + (s.value?.bad ?? 0), degraded: acc.degraded + (s.value?.degraded ?? 0) }), { good: 0, bad: 0, degraded: 0 });
  const clients = sum(hours(days, nowMs, windowMs, (d) => d.routeHours.get(route.name)));
  const providers = route.deployments.map((id) => sum(hours(days, nowMs, windowMs, (d) => d.deploymentHours.get(id)))).reduce((a, b) => ({ good: a.good + b.good, bad: a.bad + b.bad, degraded: 0 }), { good: 0, bad: 0, degraded: 0 });
  const figures = (c: { good: number; bad: number }) => ({ good: c.good, total: c.good + c.bad, ratio: c.good + c.bad === 0 ? undefined : c.good / (c.good + c.bad) });
  const slots = [...hours(days, nowMs, windowMs, (d) => d.routeHours.get(route.name))].filter((h) => h.value !== undefined && h.value.good + h.value.bad > 0);
  const observedMs = slots.length === 0 ? 0 : Math.min(windowMs, nowMs - slots[0]!.hourStartMs);
  return { route: route.name, windowLabel, windowMs, observedMs, providers: figures(providers), clients: { ...figures(clients), degraded: clients.degraded } };
}

function latencyOf(deployment: string, days: DayAggregate[], nowMs: number): LatencySeries {
  const points = hours(days, nowMs, DAY_MS, (d) => d.ttftHours.get(deployment)).map(({ hourStartMs, value }) => ({
    hourStartMs,
    p50Ms: value === undefined ? undefined : quantile(value, 0.5, LATENCY_BUCKETS_MS),
    p95Ms: value === undefined ? undefined : quantile(value, 0.95, LATENCY_BUCKETS_MS),
  }));
  return { deployment, points };
}

/**
 * The page's headline. Keel's own status decides the severity (clients are what the page is about); a
 * provider or deployment in trouble while Keel keeps serving is a minor, "partially degraded" note.
 */
function overallOf(components: StatusComponent[]): StatusModel['overall'] {
  const keel = components.find((c) => c.kind === 'keel')?.status ?? 'operational';
  const others = worstStatus(components.filter((c) => c.kind !== 'keel').map((c) => c.status));
  const indicator: StatuspageIndicator =
    keel === 'major_outage' ? 'critical' : keel === 'partial_outage' ? 'major' : keel === 'degraded_performance' || (others !== 'operational' && others !== 'under_maintenance') ? 'minor' : 'none';
  const description = { none: 'All Systems Operational', minor: 'Partially Degraded Service', major: 'Partial System Outage', critical: 'Major Service Outage' }[indicator];
  const status: ComponentStatus = indicator === 'none' ? (keel === 'under_maintenance' ? 'under_maintenance' : 'operational') : indicator === 'minor' ? 'degraded_performance' : keel;
  return { status, indicator, description: status === 'under_maintenance' ? 'Under Maintenance' : description };
}
