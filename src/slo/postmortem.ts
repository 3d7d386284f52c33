/**
 * Gathers what a postmortem says from the record: the incident and its timeline, the impact counted from
 * per-minute rollups (requests that met the failure, how many Keel rescued, how many were degraded or
 * failed), detection time, the cause category, what Keel did (failed attempts, failovers, breaker
 * openings, degraded answers) and the SLA standing of the provider for the month. Rendering is separate
 * (`postmortem-markdown.ts`).
 */
import { isProviderFault, type Outcome } from '../core/outcome.js';
import type { ProviderName } from '../config/schema.js';
import { DETECTOR_DEFAULTS } from '../health/health-defaults.js';
import { CAUSE_TEXT, dominantCause, type CauseCategory } from '../health/incident-evidence.js';
import { isServedFailure } from '../health/served-outcome.js';
import { deploymentsOfComponent, twoVoices, type TwoVoices } from '../health/vendor/two-voices.js';
import type { Incident, RollupRow, Store } from '../store/store.js';
import { MINUTE_MS, monthOf } from './month.js';
import { buildSlaReport, type ProviderSla, type ReportDeployment } from './sla-report.js';
import type { SlaFile } from './sla-schema.js';

export interface PostmortemInput {
  store: Pick<Store, 'getIncident' | 'readRollups' | 'listIncidents' | 'listMaintenance' | 'listVendorIncidents'>;
  incidentId: string;
  /** Deployments a vendor status page is read for (`status_sources`); absent: the vendor's voice is left out. */
  vendorWatched?: ReadonlySet<string>;
  deployments: readonly (ReportDeployment & { model?: string | undefined })[];
  /** Route name → the deployment ids it may use (from the config). */
  routes: Readonly<Record<string, readonly string[]>>;
  /** The SLA data, for the month's credit standing; omitted: the section only points at the command. */
  sla?: SlaFile;
  /** When the provider's status page first acknowledged the problem, if someone noted it. */
  providerFirstUpdateMs?: number;
  nowMs: number;
}

export interface Impact {
  /** Minutes of the impact window in which the affected deployments were failing (or skipped for failing). */
  badMinutes: number;
  routes: string[];
  /** Client requests on those routes in those minutes that met the failure: rescued + degraded + failed. */
  affected: number;
  /** Answered anyway: by another deployment (failover), or by the same one after a retry. */
  rescued: number;
  degraded: number;
  failed: number;
  /** Left out: the client's own errors. */
  clientErrors: number;
}

export interface KeelActions {
  /** Client attempts on the affected deployments that failed by the provider's fault (each retried or failed over). */
  failedAttempts: number;
  attemptOutcomes: Record<string, number>;
  /** Failovers recorded in the incident's evidence, by route and target. */
  failovers: { route: string; to: string | null; requests: number }[];
  /** Updates in which the evidence shows the breaker open or half-open after a closed one. */
  breakerOpenings: number;
  degradedAnswers: number;
}

export interface Postmortem {
  incident: Incident;
  deployments: string[];
  providers: ProviderName[];
  windowStartMs: number;
  windowEndMs: number;
  ongoing: boolean;
  impact: Impact;
  detection: { firstBadMinuteMs: number; openedAtMs: number; delayMs: number; providerFirstUpdateMs?: number | undefined };
  cause: { category: CauseCategory | undefined; text: string; source: 'incident' | 'rollups' | 'none' };
  actions: KeelActions;
  /** The SLA standing of each affected provider for the incident's month (when SLA data was given). */
  sla: ProviderSla[] | undefined;
  monthLabel: string;
  /** The vendor's incidents beside Keel's (when status pages are read). */
  vendor: TwoVoices | undefined;
}

export async function buildPostmortem(input: PostmortemInput): Promise<Postmortem> {
  const incident = await input.store.getIncident(input.incidentId);
  if (incident === undefined) throw new Error(`no incident "${input.incidentId}" in the store`);
  const affected = deploymentsOfComponent(incident.component, input.deployments);
  const ids = new Set(affected.map((d) => d.id));
  const endMs = incident.impactEnd ?? incident.resolvedAt ?? input.nowMs;
  const fromMinute = Math.floor(incident.impactStart / MINUTE_MS) * MINUTE_MS;
  const toMinute = Math.ceil(Math.max(endMs, incident.impactStart + 1) / MINUTE_MS) * MINUTE_MS;
  const routes = Object.entries(input.routes)
    .filter(([, deps]) => deps.some((d) => ids.has(d)))
    .map(([name]) => name);
  // A client naming a deployment's model directly gets a route of that name.
  for (const d of affected) for (const name of [d.model, d.id]) if (name !== undefined && !routes.includes(name)) routes.push(name);

  const rows = await input.store.readRollups({ fromMinute, toMinute, source: 'client' });
  const perMinute = new Map<number, { faults: number; ok: number; routeOk: number; routeDegraded: number; routeFailed: number; routeClient: number }>();
  const attemptOutcomes: Record<string, number> = {};
  const at = (m: number) => perMinute.get(m) ?? perMinute.set(m, { faults: 0, ok: 0, routeOk: 0, routeDegraded: 0, routeFailed: 0, routeClient: 0 }).get(m)!;
  for (const row of rows) {
    if (row.scope === 'deployment' && ids.has(row.id)) addDeployment(at(row.minute), row, attemptOutcomes);
    else if (row.scope === 'route' && routes.includes(row.id)) addRoute(at(row.minute), row);
  }
  const impact: Impact = { badMinutes: 0, routes, affected: 0, rescued: 0, degraded: 0, failed: 0, clientErrors: 0 };
  for (const m of perMinute.values()) {
    const routeTotal = m.routeOk + m.routeDegraded + m.routeFailed;
    // Failing, or carrying no answers while the routes had traffic (an open breaker skips it).
    if (m.faults === 0 && !(m.ok === 0 && routeTotal > 0)) continue;
    impact.badMinutes++;
    // Answered by another deployment (route ok beyond what the failing one answered) or by a retry on it.
    const rescued = Math.min(m.routeOk, Math.max(0, m.routeOk - m.ok) + Math.min(m.ok, m.faults));
    impact.rescued += rescued;
    impact.degraded += m.routeDegraded;
    impact.failed += m.routeFailed;
    impact.clientErrors += m.routeClient;
  }
  impact.affected = impact.rescued + impact.degraded + impact.failed;

  const failedAttempts = Object.entries(attemptOutcomes).reduce((n, [o, c]) => (isProviderFault(o as Outcome) ? n + c : n), 0);
  const month = monthOf(incident.impactStart);
  let sla: ProviderSla[] | undefined;
  if (input.sla !== undefined) {
    const report = await buildSlaReport({ store: input.store, deployments: input.deployments, sla: input.sla, month });
    sla = report.providers.filter((p) => p.deployments.some((d) => ids.has(d.id)));
  }
  return {
    incident,
    deployments: affected.map((d) => d.id),
    providers: [...new Set(affected.map((d) => d.provider))],
    windowStartMs: incident.impactStart,
    windowEndMs: endMs,
    ongoing: incident.status !== 'resolved',
    impact,
    detection: { firstBadMinuteMs: incident.impactStart, openedAtMs: incident.openedAt, delayMs: incident.openedAt - incident.impactStart, providerFirstUpdateMs: input.providerFirstUpdateMs },
    cause: causeOf(incident, attemptOutcomes),
    actions: { failedAttempts, attemptOutcomes, failovers: failoversOf(incident), breakerOpenings: breakerOpenings(incident), degradedAnswers: impact.degraded },
    sla,
    monthLabel: month.label,
    vendor:
      input.vendorWatched === undefined
        ? undefined
        : twoVoices(incident, [...ids], await input.store.listVendorIncidents({ from: incident.impactStart - 6 * 3_600_000, to: endMs + 3_600_000, limit: 200 }), input.vendorWatched),
  };
}

function addDeployment(m: { faults: number; ok: number }, row: RollupRow, outcomes: Record<string, number>): void {
  for (const [o, n] of Object.entries(row.outcomes)) {
    outcomes[o] = (outcomes[o] ?? 0) + n;
    if (o === 'ok') m.ok += n;
    else if (isProviderFault(o as Outcome)) m.faults += n;
  }
}

function addRoute(m: { routeOk: number; routeDegraded: number; routeFailed: number; routeClient: number }, row: RollupRow): void {
  for (const [o, n] of Object.entries(row.outcomes)) {
    if (o === 'ok') m.routeOk += n;
    else if (o === 'degraded') m.routeDegraded += n;
    else if (isServedFailure(o)) m.routeFailed += n;
    else m.routeClient += n;
  }
}

/** The detector's named cause when an update recorded one, else the dominant cause in the rollups. */
function causeOf(incident: Incident, outcomes: Record<string, number>): Postmortem['cause'] {
  for (const u of [...incident.updates].reverse()) {
    const cause = u.evidence?.['cause'];
    if (typeof cause === 'string' && cause in CAUSE_TEXT) return { category: cause as CauseCategory, text: CAUSE_TEXT[cause as CauseCategory], source: 'incident' };
  }
  const category = dominantCause(outcomes, DETECTOR_DEFAULTS.identifyMinShare, DETECTOR_DEFAULTS.identifyMinFaults);
  if (category !== undefined) return { category, text: CAUSE_TEXT[category], source: 'rollups' };
  return { category: undefined, text: 'no single cause dominates the recorded failures', source: 'none' };
}

function failoversOf(incident: Incident): KeelActions['failovers'] {
  const tally = new Map<string, { route: string; to: string | null; requests: number }>();
  for (const u of incident.updates) {
    const list = u.evidence?.['failovers'];
    if (!Array.isArray(list)) continue;
    for (const f of list as unknown[]) {
      if (typeof f !== 'object' || f === null) continue;
      const { route, to, requests } = f as Record<string, unknown>;
      if (typeof route !== 'string' || typeof requests !== 'number' || !(typeof to === 'string' || to === null)) continue;
      const key = `${route}\u0000${to ?? ''}`;
      const held = tally.get(key) ?? { route, to, requests: 0 };
      held.requests += requests;
      tally.set(key, held);
    }
  }
  return [...tally.values()].sort((a, b) => b.requests - a.requests);
}

function breakerOpenings(incident: Incident): number {
  let openings = 0;
  let wasOpen = false;
  for (const u of incident.updates) {
    const health = u.evidence?.['health'];
    const breaker = typeof health === 'object' && health !== null ? (health as Record<string, unknown>)['breaker'] : undefined;
    if (typeof breaker !== 'string') continue;
    const open = breaker === 'open' || breaker === 'half_open';
    if (open && !wasOpen) openings++;
    wasOpen = open;
  }
  return openings;
}
