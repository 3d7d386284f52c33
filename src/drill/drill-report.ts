/**
 * Turns a finished drill run into its report: per-phase and overall figures from what the clients saw,
 * incidents (time to detect and recover), per-deployment counts, a time series for the charts, and the
 * cross-checks of the clients' figures against Keel's router events and the simulator's stats.
 */
import { servedFrom } from './served-from.js';
import type { RequestRecord } from '../router/router.js';
import { describeAction, faultEpisodes } from './fault-episodes.js';
import { incidentStats } from './incident-stats.js';
import type { LoadRecord } from './load-generator.js';
import { sliceStats, type PriceTable } from './phase-stats.js';
import { countBy, formatPercent, percentiles, ratio } from './report-stats.js';
import type { Check, CrossChecks, DeploymentStats, DrillReport, SeriesBucket } from './report-types.js';
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
  const crossChecks = crossCheck(run, keel);
  const checks: Check[] = [
    { name: 'every request accounted for', ok: overall.lost <= scenario.expect.max_lost && overall.sent === overall.succeeded + overall.failed + overall.lost, detail: `sent ${overall.sent} = succeeded ${overall.succeeded} + failed ${overall.failed} + lost ${overall.lost}` },
    { name: 'Keel saw every request', ok: crossChecks.missing_in_keel === 0, detail: `${crossChecks.keel_requests} of ${overall.sent} in Keel's request events` },
    { name: 'clients and Keel agree', ok: crossChecks.outcome_mismatches === 0 && crossChecks.served_by_mismatches === 0, detail: `${crossChecks.outcome_mismatches} outcome and ${crossChecks.served_by_mismatches} deployment disagreements` },
  ];
  const minAvailability = scenario.expect.min_availability;
  if (minAvailability !== undefined) {
    checks.push({ name: `availability ≥ ${formatPercent(minAvailability)}`, ok: (overall.availability ?? 0) >= minAvailability, detail: `availability through Keel ${formatPercent(overall.availability, 3)}` });
  }

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
      'Request-level times are wall-clock and never scaled: latencies, time to detect and to recover, Keel\'s timeouts, backoffs and breaker durations (the scenario configures Keel with compressed breaker windows).',
      'Availability counts degraded answers (Keel\'s cache or static message) as succeeded; they are also counted on their own.',
      `Primary direct: ${scenario.load.direct_probe_rate_per_s} probe(s)/s sent to ${loaded.primary} without Keel, i.e. what a client calling it directly saw.`,
    ],
    checks,
    overall,
    phases: phaseStats,
    incidents,
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
    const latency = percentiles(group.filter((r) => kind(r) !== 'lost').map((r) => r.observation!.latencyMs));
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
