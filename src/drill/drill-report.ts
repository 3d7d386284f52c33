/**
 * Turns a finished drill run into its report: per-phase and overall figures from what the clients saw,
 * incidents (time to detect and recover), per-deployment counts, a time series for the charts, and the
 * cross-checks of the clients' figures against Keel's router events and the simulator's stats.
 */
import { servedFrom } from './served-from.js';
import type { RequestRecord } from '../router/router.js';
import { describeAction, faultEpisodes } from './fault-episodes.js';
import { drillChecks } from './drill-checks.js';
import { incidentStats, primaryTimesByPhase } from './incident-stats.js';
import { vendorLead } from './vendor-voice.js';
import type { LoadRecord } from './load-generator.js';
import { sliceStats, type PriceTable } from './phase-stats.js';
import { countBy, percentiles, ratio } from './report-stats.js';
import type { CrossChecks, DeploymentStats, DrillReport, SeriesBucket } from './report-types.js';
import type { DrillRun } from './run-drill.js';
import { formatDurationMs } from './duration.js';

// About this many points per chart: enough to see a phase change, few enough to read.
const SERIES_POINTS = 120;
const MIN_BUCKET_MS = 250;

export function buildReport(run: DrillRun): DrillReport {
  const { loaded, phases, timeScale, records, probes } = run;
  const { scenario } = loaded;
  const keel = run.observer.requests;
  const prices: PriceTable = new Map(loaded.keel.deployments.map((d) => [d.id, d.price === undefined ? undefined : { input_per_mtok: d.price.input_per_mtok, output_per_mtok: d.price.output_per_mtok }]));
  const within = <T extends { offsetMs: number }>(items: readonly T[], from: number, to: number): T[] => items.filter((i) => i.offsetMs >= from && i.offsetMs < to);
  const slice = { keel, prices, primary: loaded.primary };

  const phaseStats = phases.map((phase, i) => {
    const to = i === phases.length - 1 ? Number.POSITIVE_INFINITY : phase.endMs;
    return sliceStats({
      ...slice,
      name: phase.name,
      description: phase.description,
      scenarioStartMs: phase.scenarioStartMs,
      scenarioEndMs: phase.scenarioEndMs,
      wallStartMs: phase.startMs,
      wallEndMs: phase.endMs,
      records: within(records, phase.startMs, to),
      probes: within(probes, phase.startMs, to),
      notSent: run.notSent.filter((t) => t >= phase.startMs && t < to).length,
    });
  });
  const overall = sliceStats({
    ...slice,
    name: 'overall',
    scenarioStartMs: 0,
    scenarioEndMs: scenario.duration,
    wallStartMs: 0,
    wallEndMs: run.wallDurationMs,
    records,
    probes,
    notSent: run.notSent.length,
  });

  for (const stats of [...phaseStats, overall]) stats.served_from = servedFrom(stats.served_by, run.deployments);

  const breakers = run.observer.breakers.map((b) => ({ ...b, offsetMs: b.atMs - run.startEpochMs }));
  const episodes = faultEpisodes(run.applied, run.deployments);
  const incidents = incidentStats({ episodes, breakers, records, phases, timeScale });
  const primaryTimes = primaryTimesByPhase(incidents, loaded.primary, phases);
  for (const stats of phaseStats) Object.assign(stats, primaryTimes.get(stats.name));
  const crossChecks = crossCheck(run, keel);
  const vendorStatus = scenario.vendor_status;
  const vendor =
    vendorStatus === undefined || run.vendor === undefined
      ? undefined
      : vendorLead({
          vendor: vendorStatus,
          primary: loaded.primary,
          startEpochMs: run.startEpochMs,
          posted: run.vendor.posted,
          breakerOpens: breakers.filter((b) => b.to === 'open'),
          episodes,
          incidents: run.vendor.incidents,
          vendorIncidents: run.vendor.vendorIncidents,
          deployments: loaded.keel.deployments,
        });
  const checks = drillChecks({ expect: scenario.expect, overall, phases: phaseStats, incidents, crossChecks, primary: loaded.primary, ...(vendor === undefined ? {} : { vendor }) });

  return {
    scenario: {
      name: scenario.name,
      description: scenario.description.trim(),
      file: loaded.file,
      route: loaded.route,
      primary: loaded.primary,
      seed: scenario.seed,
      scenario_duration_ms: scenario.duration,
      time_scale: timeScale,
      wall_duration_ms: Math.round(run.wallDurationMs),
      rate_per_s: run.ratePerS,
      stream_share: scenario.load.stream_share,
      clients: scenario.load.clients,
    },
    started_at: run.startedAt,
    elapsed_ms: Math.round(run.elapsedMs),
    notes: [
      `Time scale ${timeScale}×: ${formatDurationMs(scenario.duration)} of scenario time replayed in ${formatDurationMs(run.wallDurationMs)}.`,
      timeScale === 1
        ? 'Time scale 1: Keel\'s own timeouts, backoffs and breaker durations run as they would in production.'
        : 'Request-level times are wall-clock and never scaled: latencies, time to detect and to recover, Keel\'s timeouts, backoffs and breaker durations (a compressed scenario configures Keel with compressed breaker windows).',
      'Availability counts degraded answers (Keel\'s cache or static message) as succeeded; they are also counted on their own.',
      `Primary direct: ${scenario.load.direct_probe_rate_per_s} probe(s)/s sent to ${loaded.primary} without Keel, i.e. what a client calling it directly saw.`,
    ],
    checks,
    overall,
    phases: phaseStats,
    incidents,
    ...(vendor === undefined ? {} : { vendor }),
    deployments: deploymentStats(run, keel, overall.succeeded, breakers),
    cross_checks: crossChecks,
    timeline: run.applied.map((a) => ({ scenario_ms: Math.round(a.offsetMs * timeScale), wall_ms: Math.round(a.offsetMs), phase: a.phase, action: describeAction(a.action) })),
    series: series(run),
  };
}

function deploymentStats(run: DrillRun, keel: ReadonlyMap<string, RequestRecord>, answers: number, breakers: readonly { deploymentId: string; to: string }[]): DeploymentStats[] {
  const attempts = [...keel.values()].flatMap((r) => r.attempts);
  return run.loaded.keel.deployments.map((d) => {
    const own = attempts.filter((a) => a.deployment === d.id);
    const answered = run.records.filter((r) => r.observation?.verdict.kind === 'ok' && r.observation.deployment === d.id && r.observation.degraded === undefined).length;
    return {
      id: d.id,
      provider: d.provider,
      region: d.region ?? null,
      model: d.model,
      price: d.price === undefined ? null : { input_per_mtok: d.price.input_per_mtok, output_per_mtok: d.price.output_per_mtok },
      upstream_attempts: own.length,
      attempts_by_outcome: countBy(own, (a) => a.outcome),
      answered,
      share_of_answers: ratio(answered, answers),
      breaker_opens: breakers.filter((b) => b.deploymentId === d.id && b.to === 'open').length,
    };
  });
}

function crossCheck(run: DrillRun, keel: ReadonlyMap<string, RequestRecord>): CrossChecks {
  const examples: string[] = [];
  let missing = 0;
  let outcomeMismatches = 0;
  let servedMismatches = 0;
  let continued = 0;
  for (const record of run.records) {
    const k = keel.get(record.id);
    const v = record.observation?.verdict;
    if (k === undefined) {
      missing += 1;
      if (examples.length < 5) examples.push(`${record.id}: not in Keel's request events`);
      continue;
    }
    if (v === undefined) continue;
    if ((v.kind === 'ok') !== (k.outcome === 'ok')) {
      outcomeMismatches += 1;
      if (examples.length < 5) examples.push(`${record.id}: client ${v.kind}, Keel ${k.outcome}`);
    }
    const header = record.observation?.deployment;
    if (v.kind === 'ok' && header !== undefined && k.deployment !== undefined && header !== k.deployment) {
      // The header names the deployment whose stream was committed; another may have finished it.
      if (record.stream && k.attempts.some((a) => a.deployment === header)) {
        continued += 1;
        continue;
      }
      servedMismatches += 1;
      if (examples.length < 5) examples.push(`${record.id}: answered by ${header}, Keel recorded ${k.deployment}`);
    }
  }
  const attempts = run.observer.attempts;
  const refused = attempts.filter((a) => a.outcome === 'connect_error' && a.message === 'connection refused').length;
  const probesRefused = run.probes.filter((p) => p.observation?.verdict.kind === 'lost' && p.observation.verdict.reason.includes('ECONNREFUSED')).length;
  return {
    keel_requests: run.records.length - missing,
    missing_in_keel: missing,
    outcome_mismatches: outcomeMismatches,
    served_by_mismatches: servedMismatches,
    continued_mid_stream: continued,
    keel_upstream_attempts: attempts.length,
    keel_attempts_refused: refused,
    direct_probes_sent: run.probes.length,
    direct_probes_refused: probesRefused,
    simulator_requests: run.simulator.total,
    simulator_expected: attempts.length - refused + run.probes.length - probesRefused,
    simulator_faults_applied: run.simulator.faultsApplied,
    examples,
  };
}

function series(run: DrillRun): { bucket_wall_ms: number; buckets: SeriesBucket[] } {
  const bucketMs = Math.max(MIN_BUCKET_MS, Math.ceil(run.wallDurationMs / SERIES_POINTS));
  const count = Math.max(1, Math.ceil(run.wallDurationMs / bucketMs));
  const groups: LoadRecord[][] = Array.from({ length: count }, () => []);
  const probeGroups: LoadRecord[][] = Array.from({ length: count }, () => []);
  const index = (offsetMs: number): number => Math.min(count - 1, Math.max(0, Math.floor(offsetMs / bucketMs)));
  for (const r of run.records) groups[index(r.offsetMs)]!.push(r);
  for (const p of run.probes) probeGroups[index(p.offsetMs)]!.push(p);
  const buckets = groups.map((group, i): SeriesBucket => {
    const kind = (r: LoadRecord) => r.observation?.verdict.kind ?? 'lost';
    const ok = group.filter((r) => kind(r) === 'ok');
    const latency = percentiles(group.filter((r) => r.observation !== undefined).map((r) => r.observation!.latencyMs));
    const direct = probeGroups[i]!.filter((p) => p.observation !== undefined);
    return {
      scenario_ms: Math.round(i * bucketMs * run.timeScale),
      sent: group.length,
      succeeded: ok.length,
      failed: group.filter((r) => kind(r) === 'error').length,
      lost: group.filter((r) => kind(r) === 'lost').length,
      degraded: ok.filter((r) => r.observation!.degraded !== undefined).length,
      latency_p50_ms: latency.p50,
      latency_p95_ms: latency.p95,
      direct_sent: direct.length,
      direct_succeeded: direct.filter((p) => p.observation!.verdict.kind === 'ok').length,
      served_by: countBy(ok, (r) => (r.observation!.degraded !== undefined ? 'degraded' : r.observation!.deployment ?? 'unknown')),
    };
  });
  return { bucket_wall_ms: bucketMs, buckets };
}
