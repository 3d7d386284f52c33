/**
 * The monthly SLA report: for each provider SLA (and each deployment under it) the uptime measured by
 * that SLA's own method from deployment-scope rollups (client traffic and probes), the downtime, the
 * incidents of the month, the spend, the credit owed and the claim deadline, with the down intervals as
 * evidence. Deployments no SLA covers are grouped by provider and measured with Keel's default method.
 */
import { isProviderFault } from '../core/outcome.js';
import type { ProviderName } from '../config/schema.js';
import { deploymentsOfComponent, twoVoices, vendorOnly, type TwoVoices } from '../health/vendor/two-voices.js';
import type { Incident, MaintenanceWindow, RollupRow, Store, VendorIncident } from '../store/store.js';
import { claimDeadline, MINUTE_MS, type Month } from './month.js';
import { errorOutcomesOf, slaFor, type SlaEntry, type SlaFile } from './sla-schema.js';
import { creditFor, KEEL_DEFAULT_METHOD, measureUptime, type Credit, type MinuteCount, type UptimeResult } from './sla-uptime.js';

export interface ReportDeployment {
  id: string;
  provider: ProviderName;
  base_url?: string | undefined;
  price?: { input_per_mtok: number; output_per_mtok: number } | undefined;
}

export interface SlaReportInput {
  store: Pick<Store, 'readRollups' | 'listIncidents' | 'listMaintenance' | 'listVendorIncidents'>;
  deployments: readonly ReportDeployment[];
  sla: SlaFile;
  month: Month;
  /** Deployments a vendor status page is read for (`status_sources`); absent: the vendor's voice is left out. */
  vendorWatched?: ReadonlySet<string>;
  /** Deployment id → SLA id (e.g. from the config), ahead of the data file's own assignments. */
  overrides?: Readonly<Record<string, string>>;
}

export interface IncidentSummary {
  id: string;
  component: string;
  title: string;
  impact: Incident['impact'];
  status: Incident['status'];
  openedAt: number;
  resolvedAt?: number | undefined;
  /** The vendor's matching incidents, Keel's lead and both windows (when status pages are read). */
  vendor?: TwoVoices;
}

/** A vendor incident on this SLA's deployments that Keel's traffic never showed (`keel_silent`). */
export interface VendorOnlyIncident {
  source: string;
  id: string;
  title: string;
  impact: VendorIncident['impact'];
  startedAt: number;
  resolvedAt?: number | undefined;
  deployments: string[];
  disagreement: 'keel_silent';
}

export interface DeploymentSla {
  id: string;
  provider: ProviderName;
  uptime: UptimeResult;
  spendUsd: number;
}

export interface ProviderSla {
  /** The SLA id, or `no-sla:<provider>`. */
  key: string;
  name: string;
  entry: SlaEntry | undefined;
  /** Whether the uptime follows the provider's own method or Keel's default. */
  methodSource: 'provider' | 'keel-default';
  uptime: UptimeResult;
  targetPercent: number | undefined;
  spendUsd: number;
  credit: Credit;
  claimDeadlineMs: number | undefined;
  incidents: IncidentSummary[];
  /** Present when vendor status pages are read. */
  vendorOnly?: VendorOnlyIncident[];
  deployments: DeploymentSla[];
}

export interface SlaReport {
  month: Month;
  providers: ProviderSla[];
}

export async function buildSlaReport(input: SlaReportInput): Promise<SlaReport> {
  const { month } = input;
  const groups = new Map<string, { entry: SlaEntry | undefined; name: string; deployments: ReportDeployment[] }>();
  for (const d of input.deployments) {
    const entry = slaFor(d, input.sla, input.overrides);
    const key = entry?.id ?? `no-sla:${d.provider}`;
    const group = groups.get(key) ?? { entry, name: entry?.name ?? `${d.provider} (no SLA entry)`, deployments: [] };
    group.deployments.push(d);
    groups.set(key, group);
  }
  const windows = await input.store.listMaintenance({ from: month.startMs, to: month.endMs });
  const incidents = await input.store.listIncidents({ from: month.startMs, to: month.endMs });
  const watched = input.vendorWatched;
  const vendorIncidents = watched === undefined ? [] : await input.store.listVendorIncidents({ from: month.startMs, to: month.endMs });

  const providers: ProviderSla[] = [];
  for (const [key, group] of groups) {
    const { entry } = group;
    const method = entry?.status === 'published' && entry.downtime !== undefined ? entry.downtime : KEEL_DEFAULT_METHOD;
    const errorOutcomes = errorOutcomesOf(entry, isProviderFault);
    const excludeClientErrors = entry?.exclusions.client_errors ?? true;
    const useMaintenance = entry?.exclusions.maintenance ?? true;
    const totals = new Map<number, MinuteCount>();
    const excludedEverywhere = new Map<number, number>();
    const deployments: DeploymentSla[] = [];
    for (const d of group.deployments) {
      const rows = await input.store.readRollups({ fromMinute: month.startMs, toMinute: month.endMs, scope: 'deployment', id: d.id });
      const excluded = useMaintenance ? maintenanceMinutes(windows, [`deployment:${d.id}`, `provider:${d.provider}`, ...(entry === undefined ? [] : [`sla:${entry.id}`])], month) : new Set<number>();
      const counts = minuteCounts(rows, errorOutcomes, excludeClientErrors, excluded);
      for (const minute of excluded) excludedEverywhere.set(minute, (excludedEverywhere.get(minute) ?? 0) + 1);
      for (const [minute, c] of counts) addCount(totals, minute, c);
      deployments.push({ id: d.id, provider: d.provider, uptime: measureUptime(month, counts, excluded, method), spendUsd: spendOf(rows, d) });
    }
    // A minute leaves the provider's figure only when it was excluded for every deployment under it.
    const excluded = new Set([...excludedEverywhere].filter(([, n]) => n === group.deployments.length).map(([m]) => m));
    const uptime = measureUptime(month, totals, excluded, method);
    const spendUsd = deployments.reduce((n, d) => n + d.spendUsd, 0);
    const components = new Set([...group.deployments.map((d) => `deployment:${d.id}`), ...group.deployments.map((d) => `provider:${d.provider}`)]);
    providers.push({
      key,
      name: group.name,
      entry,
      methodSource: method === KEEL_DEFAULT_METHOD ? 'keel-default' : 'provider',
      uptime,
      targetPercent: entry?.status === 'published' ? entry.uptime_target_percent : undefined,
      spendUsd,
      // Nothing observed is no evidence of anything: no uptime to stand on, so no credit is worked out.
      credit: uptime.observedMinutes === 0 ? { creditPercent: undefined, creditUsd: undefined, note: 'no traffic observed this month' } : creditFor(entry, uptime.uptimePercent, spendUsd),
      claimDeadlineMs: entry?.claim_window === undefined ? undefined : claimDeadline(month, { days: entry.claim_window.days_after_month_end, months: entry.claim_window.months_after_month_end }),
      incidents: incidents
        .filter((i) => components.has(i.component))
        .sort((a, b) => a.openedAt - b.openedAt)
        .map((i) => summarise(i, watched === undefined ? undefined : twoVoices(i, ids(i, input.deployments), vendorIncidents, watched))),
      ...(watched === undefined ? {} : { vendorOnly: vendorOnlyOf(vendorIncidents, incidents, group.deployments, input.deployments) }),
      deployments,
    });
  }
  return { month, providers };
}

/** Per-minute counted requests and errors of one deployment, client traffic and probes together. */
function minuteCounts(rows: readonly RollupRow[], errorOutcomes: ReadonlySet<string>, excludeClientErrors: boolean, excluded: ReadonlySet<number>): Map<number, MinuteCount> {
  const counts = new Map<number, MinuteCount>();
  for (const row of rows) {
    if (excluded.has(row.minute)) continue;
    const c: MinuteCount = { requests: 0, errors: 0, outcomes: {} };
    for (const [outcome, n] of Object.entries(row.outcomes)) {
      const isError = errorOutcomes.has(outcome);
      if (!isError && outcome !== 'ok' && excludeClientErrors) continue;
      c.requests += n;
      if (isError) c.errors += n;
      c.outcomes[outcome] = (c.outcomes[outcome] ?? 0) + n;
    }
    addCount(counts, row.minute, c);
  }
  return counts;
}

function addCount(into: Map<number, MinuteCount>, minute: number, c: MinuteCount): void {
  const held = into.get(minute);
  if (held === undefined) {
    into.set(minute, { requests: c.requests, errors: c.errors, outcomes: { ...c.outcomes } });
    return;
  }
  held.requests += c.requests;
  held.errors += c.errors;
  for (const [o, n] of Object.entries(c.outcomes)) held.outcomes[o] = (held.outcomes[o] ?? 0) + n;
}

/** The month's minutes covered by a maintenance window on any of the components. */
function maintenanceMinutes(windows: readonly MaintenanceWindow[], components: readonly string[], month: Month): Set<number> {
  const minutes = new Set<number>();
  for (const w of windows) {
    if (!components.includes(w.component)) continue;
    // Only whole minutes inside the window: a minute partly outside it could hold real failures.
    const from = Math.max(month.startMs, Math.ceil(w.startsAt / MINUTE_MS) * MINUTE_MS);
    const to = Math.min(month.endMs, Math.floor(w.endsAt / MINUTE_MS) * MINUTE_MS);
    for (let m = from; m < to; m += MINUTE_MS) minutes.add(m);
  }
  return minutes;
}

/** USD spent: the rollups' cost (usage × the price when recorded), else tokens × the config's price. */
function spendOf(rows: readonly RollupRow[], d: ReportDeployment): number {
  let cost = 0;
  let input = 0;
  let output = 0;
  for (const row of rows) {
    cost += row.cost;
    input += row.inputTokens;
    output += row.outputTokens;
  }
  if (cost > 0 || d.price === undefined) return cost;
  return (input * d.price.input_per_mtok + output * d.price.output_per_mtok) / 1_000_000;
}

function summarise(i: Incident, vendor: TwoVoices | undefined): IncidentSummary {
  const summary: IncidentSummary = { id: i.id, component: i.component, title: i.title, impact: i.impact, status: i.status, openedAt: i.openedAt, resolvedAt: i.resolvedAt };
  if (vendor !== undefined) summary.vendor = vendor;
  return summary;
}

function ids(incident: Incident, deployments: readonly ReportDeployment[]): string[] {
  return deploymentsOfComponent(incident.component, deployments).map((d) => d.id);
}

/** The month's vendor incidents on the group's deployments that no Keel incident of the month matches. */
function vendorOnlyOf(vendor: readonly VendorIncident[], incidents: readonly Incident[], group: readonly ReportDeployment[], all: readonly ReportDeployment[]): VendorOnlyIncident[] {
  const mine = new Set(group.map((d) => d.id));
  return vendorOnly(
    vendor.filter((v) => v.deployments.some((d) => mine.has(d))),
    incidents.map((incident) => ({ incident, affected: ids(incident, all) })),
  ).map((v) => ({ source: v.source, id: v.id, title: v.title, impact: v.impact, startedAt: v.startedAt, resolvedAt: v.resolvedAt, deployments: v.deployments, disagreement: 'keel_silent' }));
}
