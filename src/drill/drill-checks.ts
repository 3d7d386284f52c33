/**
 * The drill's verdict: the checks every drill makes (every request accounted for, Keel saw each one,
 * clients and Keel agree) and the ones a scenario's `expect` asks for (availability, p99 latency in every
 * phase, retry amplification, how fast the primary's breaker opened once it failed every request, how fast
 * traffic came back to it). `keel drill` exits 1 when any check fails, so each detail names the figure
 * and, where a phase or an incident failed, which one.
 */
import { formatDurationMs } from './duration.js';
import { formatPercent } from './report-stats.js';
import type { Check, CrossChecks, IncidentStats, PhaseStats } from './report-types.js';
import type { Scenario } from './scenario-schema.js';
import type { VendorLead } from './vendor-voice.js';

export interface CheckInput {
  expect: Scenario['expect'];
  overall: PhaseStats;
  phases: readonly PhaseStats[];
  incidents: readonly IncidentStats[];
  crossChecks: CrossChecks;
  /** The deployment whose detection and recovery are judged. */
  primary: string;
  /** Keel's lead over the simulated vendor page, when the scenario has one. */
  vendor?: VendorLead;
}

const ms = (value: number | null): string => (value === null ? '—' : formatDurationMs(value));

export function drillChecks(input: CheckInput): Check[] {
  const { expect, overall, crossChecks } = input;
  const checks: Check[] = [
    { name: 'every request accounted for', ok: overall.lost <= expect.max_lost && overall.sent === overall.succeeded + overall.failed + overall.lost, detail: `sent ${overall.sent} = succeeded ${overall.succeeded} + failed ${overall.failed} + lost ${overall.lost}` },
    { name: 'Keel saw every request', ok: crossChecks.missing_in_keel === 0, detail: `${crossChecks.keel_requests} of ${overall.sent} in Keel's request events` },
    { name: 'clients and Keel agree', ok: crossChecks.outcome_mismatches === 0 && crossChecks.served_by_mismatches === 0, detail: `${crossChecks.outcome_mismatches} outcome and ${crossChecks.served_by_mismatches} deployment disagreements` },
  ];
  if (expect.min_availability !== undefined) {
    checks.push({ name: `availability ≥ ${formatPercent(expect.min_availability)}`, ok: (overall.availability ?? 0) >= expect.min_availability, detail: `availability through Keel ${formatPercent(overall.availability, 3)}` });
  }
  if (expect.max_p99_latency_ms !== undefined) checks.push(p99Check(input.phases, expect.max_p99_latency_ms));
  if (expect.max_attempts_per_request !== undefined) {
    const mean = overall.attempts_per_request;
    checks.push({ name: `upstream attempts per request ≤ ${expect.max_attempts_per_request}`, ok: mean !== null && mean <= expect.max_attempts_per_request, detail: mean === null ? 'no request reached Keel' : `${mean.toFixed(3)} upstream attempts per request (${overall.upstream_attempts} for ${overall.sent} requests)` });
  }
  const primaryIncidents = input.incidents.filter((i) => i.deployment === input.primary);
  if (expect.max_time_to_detect_ms !== undefined) checks.push(detectCheck(primaryIncidents, input.primary, expect.max_time_to_detect_ms));
  if (expect.max_time_to_recover_ms !== undefined) checks.push(recoverCheck(primaryIncidents, input.primary, expect.max_time_to_recover_ms));
  if (input.vendor !== undefined) checks.push(vendorCheck(input.vendor));
  return checks;
}

/** A phase where no request ended has no p99: nothing was too slow there, and its lost requests fail their own check. */
function p99Check(phases: readonly PhaseStats[], limitMs: number): Check {
  const over = phases.filter((p) => p.latency_ms.p99 !== null && p.latency_ms.p99 > limitMs);
  const worst = phases.reduce<PhaseStats | undefined>((w, p) => (p.latency_ms.p99 !== null && (w === undefined || p.latency_ms.p99 > w.latency_ms.p99!) ? p : w), undefined);
  const detail = over.length > 0
    ? `over in ${over.map((p) => `${p.name} (${ms(p.latency_ms.p99)})`).join(', ')}`
    : worst === undefined ? 'no request ended' : `worst ${worst.name} (${ms(worst.latency_ms.p99)})`;
  return { name: `p99 latency ≤ ${formatDurationMs(limitMs)} in every phase`, ok: over.length === 0, detail };
}

/**
 * Judged from the moment the primary failed every request: a breaker need not open for a fault on 10%
 * of requests. A scenario whose primary never fails every request has nothing to judge, and says so by
 * failing: an expectation that cannot be measured must not pass unnoticed.
 */
function detectCheck(incidents: readonly IncidentStats[], primary: string, limitMs: number): Check {
  const name = `${primary}'s breaker open ≤ ${formatDurationMs(limitMs)} after it failed every request`;
  const full = incidents.filter((i) => i.full_outage_start_ms !== null);
  if (full.length === 0) return { name, ok: false, detail: `no fault on ${primary} hit every request: nothing to measure` };
  const late = full.filter((i) => i.time_to_detect_full_outage_ms === null || i.time_to_detect_full_outage_ms > limitMs);
  const describe = (i: IncidentStats): string => `${i.time_to_detect_full_outage_ms === null ? 'not opened' : formatDurationMs(i.time_to_detect_full_outage_ms)} (every request failing from ${formatDurationMs(i.scenario_full_outage_start_ms!)})`;
  return { name, ok: late.length === 0, detail: (late.length > 0 ? late : full).map(describe).join('; ') };
}

function recoverCheck(incidents: readonly IncidentStats[], primary: string, limitMs: number): Check {
  const name = `traffic back on ${primary} ≤ ${formatDurationMs(limitMs)} after it recovered`;
  const ended = incidents.filter((i) => i.fault_end_ms !== null);
  if (ended.length === 0) return { name, ok: false, detail: `no fault on ${primary} ended during the drill: nothing to measure` };
  const late = ended.filter((i) => i.time_to_recover_ms === null || i.time_to_recover_ms > limitMs);
  const describe = (i: IncidentStats): string => `${i.time_to_recover_ms === null ? 'never back' : formatDurationMs(i.time_to_recover_ms)} (recovered at ${formatDurationMs(i.scenario_fault_end_ms!)})`;
  return { name, ok: late.length === 0, detail: (late.length > 0 ? late : ended).map(describe).join('; ') };
}

/**
 * Keel must have known before the vendor said so: its breaker opened (and, when its detector opened an
 * incident, that too) before the page's first update, and its poller read that update from the page.
 */
function vendorCheck(v: VendorLead): Check {
  const name = "Keel knew before the vendor's status page";
  if (!v.seen_by_keel || v.vendor_investigating_ms === null) return { name, ok: false, detail: `Keel's poller stored nothing from ${v.page}` };
  if (v.lead_over_vendor_ms === null) return { name, ok: false, detail: `no breaker of ${v.deployments.join(', ')} opened during the fault` };
  const incident = v.incident_lead_ms === null ? 'no Keel incident' : `Keel's incident ${v.incident_lead_ms >= 0 ? '' : '−'}${formatDurationMs(Math.abs(v.incident_lead_ms))} before`;
  return {
    name,
    ok: v.lead_over_vendor_ms > 0 && (v.incident_lead_ms === null || v.incident_lead_ms > 0),
    detail: `breaker open ${formatDurationMs(v.lead_over_vendor_ms)} before the vendor's first update; ${incident}`,
  };
}
