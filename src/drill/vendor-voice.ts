/**
 * The vendor's voice in a drill: the simulated status page's updates scheduled on the drill's timeline,
 * the `status_sources` config that makes the drilled Keel read that page (and no real vendor's), and the
 * report's comparison — when Keel knew (its primary's breaker opening, and its own incident opening)
 * against when the vendor said "Investigating" — computed with the same `twoVoices` the status page,
 * postmortems and SLA reports use, from what Keel's poller actually stored.
 */
import { DEFAULT_STATUS_SOURCES } from '../health/vendor/vendor-source-defaults.js';
import { deploymentsOfComponent, twoVoices } from '../health/vendor/two-voices.js';
import type { Incident, VendorIncident } from '../store/index.js';
import type { VendorStatusPage } from '../simulator/vendor-status-page.js';
import type { Scenario, ScenarioVendorStatus } from './scenario-schema.js';
import { abortableSleep, type PhaseWindow } from './timeline.js';

// The poller's floor: a public page is not read faster, and a drill reads its simulated page as Keel
// would read a real one, only at the fastest allowed pace so the drill sees each update within seconds.
const DRILL_POLL_INTERVAL_MS = 10_000;
export const VENDOR_SOURCE = 'drill-vendor';

export interface ScheduledUpdate {
  /** Wall-clock ms from the drill start. */
  offsetMs: number;
  update: ScenarioVendorStatus['updates'][number];
}

/** The Keel deployments the vendor's component stands for: as the scenario says, else the primary. */
export function vendorDeployments(vendor: ScenarioVendorStatus, primary: string): string[] {
  return vendor.deployments ?? [primary];
}

export function vendorSchedule(scenario: Scenario, phases: readonly PhaseWindow[], timeScale: number): ScheduledUpdate[] {
  return (scenario.vendor_status?.updates ?? [])
    .map((update) => ({ offsetMs: phases.find((p) => p.name === update.after)!.startMs + update.delay / timeScale, update }))
    .sort((a, b) => a.offsetMs - b.offsetMs);
}

/** Posts each update on the page at its time; bounded by the signal. Returns the ones posted. */
export async function playVendorUpdates(schedule: readonly ScheduledUpdate[], page: VendorStatusPage, startMs: number, signal: AbortSignal): Promise<ScheduledUpdate[]> {
  const posted: ScheduledUpdate[] = [];
  for (const item of schedule) {
    const waitMs = item.offsetMs - (performance.now() - startMs);
    if (waitMs > 0) await abortableSleep(waitMs, signal);
    if (signal.aborted) break;
    const { status, message, impact } = item.update;
    page.post({ status, ...(message === undefined ? {} : { message }), ...(impact === undefined ? {} : { impact }) });
    posted.push(item);
  }
  return posted;
}

/** `status_sources` for the drilled Keel: the simulated page (through `url`), every default vendor page off. */
export function vendorSourcesConfig(vendor: ScenarioVendorStatus, url: string, primary: string): Record<string, unknown> {
  const off = Object.fromEntries(Object.keys(DEFAULT_STATUS_SOURCES).map((name) => [name, { enabled: false }]));
  return {
    enabled: true,
    poll_interval_ms: DRILL_POLL_INTERVAL_MS,
    sources: { ...off, [VENDOR_SOURCE]: { format: 'statuspage', url, components: [{ match: vendor.component, deployments: vendorDeployments(vendor, primary) }] } },
  };
}

export interface VendorLead {
  page: string;
  component: string;
  deployments: string[];
  /** The updates the simulated page posted, wall-clock ms from the drill start. */
  posted: { wall_ms: number; status: string }[];
  /** What Keel's poller stored from the page: the vendor incident's id and its updates, if it saw any. */
  seen_by_keel: boolean;
  vendor_investigating_ms: number | null;
  /** First breaker opening of a mapped deployment after the first fault: Keel's first signal. */
  keel_breaker_open_ms: number | null;
  /** Keel's own incident on a mapped deployment (its status page's voice). */
  keel_incident_opened_ms: number | null;
  /** Vendor "Investigating" − Keel's breaker opening: positive when Keel knew first. */
  lead_over_vendor_ms: number | null;
  /** Vendor "Investigating" − Keel's incident opening. */
  incident_lead_ms: number | null;
  measured_window_ms: { start: number; end: number | null } | null;
  declared_window_ms: { start: number; end: number | null } | null;
  /** `twoVoices`' own sentence, as the status page and postmortem put it. */
  summary: string | null;
}

export interface VendorLeadInput {
  vendor: ScenarioVendorStatus;
  primary: string;
  startEpochMs: number;
  posted: readonly ScheduledUpdate[];
  breakerOpens: readonly { deploymentId: string; offsetMs: number }[];
  /** The drill's fault episodes (wall-clock ms): Keel's breaker signal is its first opening after one began. */
  episodes: readonly { deployment: string; startMs: number }[];
  incidents: readonly Incident[];
  vendorIncidents: readonly VendorIncident[];
  deployments: readonly { id: string; provider: string }[];
}

export function vendorLead(input: VendorLeadInput): VendorLead {
  const mapped = vendorDeployments(input.vendor, input.primary);
  const offset = (ms: number | undefined): number | null => (ms === undefined ? null : Math.round(ms - input.startEpochMs));
  // No fault on the vendor's deployments: any breaker opening counts.
  const faultStarts = input.episodes.filter((e) => mapped.includes(e.deployment)).map((e) => e.startMs);
  const since = faultStarts.length === 0 ? 0 : Math.min(...faultStarts);
  const breaker = input.breakerOpens.find((b) => mapped.includes(b.deploymentId) && b.offsetMs >= since);
  const affected = (i: Incident): string[] => deploymentsOfComponent(i.component, input.deployments).map((d) => d.id);
  const incident = input.incidents.filter((i) => affected(i).some((d) => mapped.includes(d))).sort((a, b) => a.openedAt - b.openedAt)[0];
  const stored = input.vendorIncidents.filter((v) => v.source === VENDOR_SOURCE && v.deployments.some((d) => mapped.includes(d)));
  const voices = incident === undefined ? undefined : twoVoices(incident, affected(incident), stored, new Set(mapped));
  const acknowledged = voices?.vendor[0]?.acknowledgedAtMs ?? stored[0]?.updates[0]?.at ?? stored[0]?.startedAt;
  const investigatingMs = offset(acknowledged);
  const breakerMs = breaker === undefined ? null : Math.round(breaker.offsetMs);
  const incidentMs = offset(incident?.openedAt);
  const declared = stored[0];
  return {
    page: input.vendor.name,
    component: input.vendor.component,
    deployments: mapped,
    posted: input.posted.map((p) => ({ wall_ms: Math.round(p.offsetMs), status: p.update.status })),
    seen_by_keel: stored.length > 0,
    vendor_investigating_ms: investigatingMs,
    keel_breaker_open_ms: breakerMs,
    keel_incident_opened_ms: incidentMs,
    lead_over_vendor_ms: investigatingMs === null || breakerMs === null ? null : investigatingMs - breakerMs,
    incident_lead_ms: investigatingMs === null || incidentMs === null ? null : investigatingMs - incidentMs,
    measured_window_ms: incident === undefined ? null : { start: offset(incident.impactStart)!, end: offset(incident.impactEnd ?? incident.resolvedAt) },
    declared_window_ms: declared === undefined ? null : { start: offset(declared.startedAt)!, end: offset(declared.resolvedAt) },
    summary: voices?.summary ?? null,
  };
}

/** The comparison as label/value rows, for the table and the HTML report alike. */
export function vendorRows(v: VendorLead, format: (ms: number) => string): [string, string][] {
  const at = (ms: number | null): string => (ms === null ? '—' : `${format(ms)} into the drill`);
  const lead = (ms: number | null): string => (ms === null ? '—' : ms >= 0 ? `${format(ms)} before the vendor` : `${format(-ms)} after the vendor`);
  const window = (w: { start: number; end: number | null } | null): string => (w === null ? '—' : `${format(Math.max(0, w.start))} – ${w.end === null ? 'still open' : format(w.end)}`);
  return [
    ['vendor page posted', v.posted.map((p) => `${p.status} at ${format(p.wall_ms)}`).join(', ') || 'nothing'],
    ["Keel's poller read it", v.seen_by_keel ? 'yes' : 'no'],
    ["vendor's first update ('Investigating')", at(v.vendor_investigating_ms)],
    [`Keel: breaker of ${v.deployments.join(', ')} open`, at(v.keel_breaker_open_ms)],
    ["Keel: incident opened", at(v.keel_incident_opened_ms)],
    ["Keel's lead (breaker)", lead(v.lead_over_vendor_ms)],
    ["Keel's lead (incident)", lead(v.incident_lead_ms)],
    // Keel's incidents record their impact by the minute: a window starts at the minute it began in.
    ['impact window measured by Keel (to the minute)', window(v.measured_window_ms)],
    ['window declared by the vendor', window(v.declared_window_ms)],
  ];
}
