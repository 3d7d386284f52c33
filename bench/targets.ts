/**
 * Compares the scenarios with each other and with Keel's performance targets: latency added over the
 * direct scenario, throughput ratios, the dead primary's probe count and peak memory. A target whose
 * cells are missing (a scenario failed or was skipped) is a miss, never a silent pass.
 */
import type { ScenarioName } from './options.js';
import { MODES, type Mode } from './requests.js';
import type { FloorTurnsResult } from './floor-turns.js';
import { median } from './stats.js';
import type { CellResult, FeatureCostResult, ManyStreamsResult, ScenarioResult, TargetCheck } from './results.js';
import { round2, round3 } from './latency.js';

export const TARGETS = {
  keelVsBareRps: 0.8, // Keel's throughput as a share of the bare proxy's
  addedP50Ms: 0.3, // latency Keel adds at one connection
  addedP99Ms: 1.5,
  addedTtfbMs: 0.5, // streamed time to first byte Keel adds (p50)
  failoverVsSingleRps: 0.9, // throughput with the primary's breaker open, as a share of the healthy single deployment
  peakRssUnderLoadMb: 150,
  manyStreamsVsBareRss: 1.25, // peak RSS holding N open streams, as a multiple of the bare proxy's in the same run
  // The share of throughput a feature costs (feature-costs.ts): on a saturated machine throughput is the
  // inverse of CPU per answer, so a feature whose CPU per answer is r × the plain route's keeps 1 / r of
  // its throughput and costs 1 − 1 / r (r ≤ 1.111 for 10 %, ≤ 1.053 for 5 %). Redis is measured against
  // the same keys counted in memory.
  featureCost: { telemetry: 0.1, keys: 0.05, redis: 0.05 },
} as const;

function cellOf(scenarios: ScenarioResult[], name: ScenarioName, mode: Mode, connections: number): CellResult | undefined {
  return scenarios.find((s) => s.name === name)?.cells.find((c) => c.mode === mode && c.connections === connections);
}

/** Fills `addedMs` of every cell and `addedTtfbMs` of every TTFB row from the direct scenario. */
export function compareWithDirect(scenarios: ScenarioResult[]): void {
  const direct = scenarios.find((s) => s.name === 'direct');
  if (direct === undefined) return;
  for (const scenario of scenarios) {
    if (scenario.name === 'direct') continue;
    for (const cell of scenario.cells) {
      const base = cellOf([direct], 'direct', cell.mode, cell.connections);
      if (base !== undefined) cell.addedMs = { p50: round3(cell.latency.p50Ms - base.latency.p50Ms), p99: round3(cell.latency.p99Ms - base.latency.p99Ms) };
    }
    if (scenario.ttfb !== undefined && direct.ttfb !== undefined) {
      scenario.ttfb.addedTtfbMs = { p50: round3(scenario.ttfb.ttfb.p50Ms - direct.ttfb.ttfb.p50Ms), p99: round3(scenario.ttfb.ttfb.p99Ms - direct.ttfb.ttfb.p99Ms) };
    }
  }
}

function ratioCheck(target: string, a: CellResult | undefined, b: CellResult | undefined, min: number): TargetCheck {
  if (a === undefined || b === undefined) return { target, measured: 'not measured', threshold: `≥ ${min}×`, pass: false };
  const ratio = b.rps === 0 ? 0 : a.rps / b.rps;
  return { target, measured: `${a.rps} / ${b.rps} req/s = ${round2(ratio)}×`, threshold: `≥ ${min}×`, pass: ratio >= min && a.errors === 0 };
}

/** `floor`, when given, is the bare proxy's own figure in the same run: what any Node proxy adds here. */
function maxCheck(target: string, value: number | undefined, max: number, unit: string, floor?: number): TargetCheck {
  if (value === undefined || Number.isNaN(value)) return { target, measured: 'not measured', threshold: `≤ ${max} ${unit}`, pass: false };
  const context = floor === undefined ? '' : ` (bare proxy: ${floor} ${unit})`;
  return { target, measured: `${value} ${unit}${context}`, threshold: `≤ ${max} ${unit}`, pass: value <= max };
}

export function checkTargets(scenarios: ScenarioResult[], connections: number[], manyStreams: ManyStreamsResult | undefined, featureCosts?: FeatureCostResult, turns?: FloorTurnsResult): TargetCheck[] {
  const one = Math.min(...connections);
  const load = Math.max(...connections);
  const checks: TargetCheck[] = [...floorChecks(scenarios, load, turns)];
  for (const mode of MODES) {
    const added = cellOf(scenarios, 'keel', mode, one)?.addedMs;
    const floor = cellOf(scenarios, 'bare', mode, one)?.addedMs;
    const cells = (stat: 'p50' | 'p99', max: number): TargetCheck => maxCheck(`added latency ${stat}, ${one} conn (${mode})`, added?.[stat], max, 'ms', floor?.[stat]);
    const row = turns?.latency?.find((r) => r.mode === mode);
    const inTurnsOf = (stat: 'p50' | 'p99'): AddedInTurns | undefined =>
      row === undefined || Number.isNaN(row.keelAdded[stat]) ? undefined : { keel: row.keelAdded[stat], bare: row.bareAdded[stat], text: `median of ${row.rounds} rounds of ${row.burstS} s bursts` };
    checks.push(inTurnsOrCells(cells('p50', TARGETS.addedP50Ms), inTurnsOf('p50'), TARGETS.addedP50Ms, 'cells'));
    checks.push(inTurnsOrCells(cells('p99', TARGETS.addedP99Ms), inTurnsOf('p99'), TARGETS.addedP99Ms, 'cells'));
  }
  checks.push(ttfbCheck(scenarios, turns));
  checks.push(...breakerChecks(scenarios, load, turns));
  const failover = scenarios.find((s) => s.name === 'keel-failover');
  if (failover !== undefined && failover.cells.length > 0) {
    const attempts = failover.cells.reduce((sum, c) => sum + (c.primaryAttempts ?? 0), 0);
    const allowed = failover.cells.reduce((sum, c) => sum + (c.probesAllowed ?? 0), 0);
    const everyCell = failover.cells.every((c) => (c.primaryAttempts ?? 0) <= (c.probesAllowed ?? 0));
    const breakerOpened = !failover.notes.some((n) => n.includes('NOT open'));
    checks.push({ target: 'dead primary sees only breaker probes', measured: `${attempts} attempts in ${failover.cells.length} cells`, threshold: `≤ 1 per open period (${allowed})`, pass: everyCell && breakerOpened });
  } else {
    checks.push({ target: 'dead primary sees only breaker probes', measured: 'not measured', threshold: '≤ 1 per open period', pass: false });
  }
  for (const name of ['keel', 'keel-failover'] as const) {
    checks.push(maxCheck(`peak RSS under load, ${name} (VmHWM)`, scenarios.find((s) => s.name === name)?.peakRssMb, TARGETS.peakRssUnderLoadMb, 'MB'));
  }
  if (manyStreams !== undefined) {
    const { keel, bare } = manyStreams;
    const target = `peak RSS with ${manyStreams.requested} open streams (VmHWM), Keel ≤ ${TARGETS.manyStreamsVsBareRss}× bare proxy`;
    const threshold = `≤ ${TARGETS.manyStreamsVsBareRss}×`;
    if (Number.isNaN(keel.hwmMb) || Number.isNaN(bare.hwmMb) || bare.hwmMb <= 0) checks.push({ target, measured: 'not measured', threshold, pass: false });
    else {
      const ratio = keel.hwmMb / bare.hwmMb;
      const measured = `${keel.hwmMb} / ${bare.hwmMb} MB = ${round2(ratio)}× (${keel.open} and ${bare.open} of ${manyStreams.requested} open)`;
      checks.push({ target, measured, threshold, pass: ratio <= TARGETS.manyStreamsVsBareRss && keel.open === manyStreams.requested && bare.open === manyStreams.requested });
    }
  }
  checks.push(...featureCostChecks(featureCosts));
  return checks;
}

/**
 * Throughput against the floor, by requests per second and by CPU per answer: the median ratio of the
 * in-turns rounds (floor-turns.ts), which the machine's drift moves far less than the scenario cells
 * measured minutes apart; the cells' ratio is shown beside it. Without the rounds, the cells decide.
 */
function floorChecks(scenarios: ScenarioResult[], load: number, turns: FloorTurnsResult | undefined): TargetCheck[] {
  const min = TARGETS.keelVsBareRps;
  const checks: TargetCheck[] = [];
  for (const mode of MODES) {
    const keel = cellOf(scenarios, 'keel', mode, load);
    const bare = cellOf(scenarios, 'bare', mode, load);
    const row = turns?.rows.find((r) => r.mode === mode);
    const rounds = row?.keelRps.length ?? 0;
    const rps = ratioCheck(`Keel ≥ ${min}× bare proxy req/s (${mode}, ${load} conns)`, keel, bare, min);
    checks.push(ratioInTurnsOrCells(rps, row && { rounds, text: `${median(row.keelRps)} / ${median(row.bareRps)} req/s`, ratio: row.rpsRatio }, min));
    // The same target from CPU time per answer: less moved by what else the machine runs (see "other CPU").
    const cpu = cpuRatioCheck(`Keel ≥ ${min}× bare proxy, by CPU per answer (${mode}, ${load} conns)`, keel, bare, min);
    checks.push(ratioInTurnsOrCells(cpu, row && { rounds, text: `${median(row.bareUs)} / ${median(row.keelUs)} µs`, ratio: row.cpuRatio }, min));
  }
  return checks;
}

/**
 * The failover route, its primary's breaker open, against the healthy single deployment: from the busy
 * rounds in turns when the run has them and the warm-up opened the breaker, the cells' figure beside it.
 */
function breakerChecks(scenarios: ScenarioResult[], load: number, turns: FloorTurnsResult | undefined): TargetCheck[] {
  const min = TARGETS.failoverVsSingleRps;
  return MODES.map((mode) => {
    const cells = ratioCheck(`breaker open ≥ ${min}× healthy single req/s (${mode}, ${load} conns)`, cellOf(scenarios, 'keel-failover', mode, load), cellOf(scenarios, 'keel', mode, load), min);
    const row = turns?.failoverWarmup?.open === true ? turns.rows.find((r) => r.mode === mode) : undefined;
    const turned = row === undefined || Number.isNaN(row.failoverRatio) ? undefined : { rounds: row.failoverRps.length, text: `${median(row.failoverRps)} / ${median(row.keelRps)} req/s`, ratio: row.failoverRatio };
    return ratioInTurnsOrCells(cells, turned, min);
  });
}

interface RatioInTurns {
  rounds: number;
  text: string;
  ratio: number;
}

/** The cells' ratio check, decided by the median of the rounds in turns when there are any. */
function ratioInTurnsOrCells(cells: TargetCheck, turned: RatioInTurns | undefined, min: number): TargetCheck {
  if (turned === undefined) return cells;
  return { ...cells, measured: `median of ${turned.rounds} rounds in turns: ${turned.text} = ${turned.ratio}× (cells: ${cells.measured})`, pass: turned.ratio >= min };
}

/**
 * Streaming TTFB added over direct, p50: from the simulator, the bare proxy and Keel timed in turns when
 * the run has them (floor-turns.ts), the scenario rows' figure beside it; from the rows alone otherwise.
 */
function ttfbCheck(scenarios: ScenarioResult[], turns: FloorTurnsResult | undefined): TargetCheck {
  const rowAdded = (name: ScenarioName): number | undefined => scenarios.find((s) => s.name === name)?.ttfb?.addedTtfbMs?.p50;
  const rows = maxCheck('streaming TTFB added, p50', rowAdded('keel'), TARGETS.addedTtfbMs, 'ms', rowAdded('bare'));
  return inTurnsOrCells(rows, ttfbInTurns(turns), TARGETS.addedTtfbMs, 'rows');
}

/** Keel's and the bare proxy's figure less the simulator's, measured in turns, and how. */
interface AddedInTurns {
  keel: number;
  bare: number;
  text: string;
}

/** Streaming TTFB p50 less the simulator's, one stream at a time in turns; undefined when the run has none. */
function ttfbInTurns(turns: FloorTurnsResult | undefined): AddedInTurns | undefined {
  const run = turns?.ttfb;
  const p50 = (name: string): number => run?.targets.find((t) => t.name === name)?.first.p50Ms ?? Number.NaN;
  const [direct, keel, bare] = [p50('direct'), p50('keel'), p50('bare')];
  if (run === undefined || [direct, keel, bare].some(Number.isNaN)) return undefined;
  return { keel: round3(keel - direct), bare: round3(bare - direct), text: `${run.rounds} rounds of ${run.perRound} streams each` };
}

/** The check read in turns when the run has them, with the single measurement's figure beside it. */
function inTurnsOrCells(single: TargetCheck, turns: AddedInTurns | undefined, max: number, singleName: string): TargetCheck {
  if (turns === undefined) return single;
  const measured = `${turns.keel} ms in turns (bare proxy: ${turns.bare} ms; ${turns.text}) (${singleName}: ${single.measured})`;
  return { ...single, measured, pass: turns.keel <= max };
}

/** The bare proxy's CPU per answer ÷ Keel's: above 1 when Keel spends less. */
function cpuRatioCheck(target: string, keel: CellResult | undefined, bare: CellResult | undefined, min: number): TargetCheck {
  const keelUs = keel?.proxy?.cpuUsPerRequest ?? Number.NaN;
  const bareUs = bare?.proxy?.cpuUsPerRequest ?? Number.NaN;
  if (Number.isNaN(keelUs) || Number.isNaN(bareUs)) return { target, measured: 'not measured', threshold: `≥ ${min}×`, pass: false };
  return { target, measured: `${bareUs} / ${keelUs} µs = ${round2(bareUs / keelUs)}×`, threshold: `≥ ${min}×`, pass: bareUs / keelUs >= min };
}

/** The share of throughput a feature costs, from its CPU per answer on ÷ off. */
export const throughputLost = (cpuRatio: number): number => 1 - 1 / cpuRatio;

/** Each feature's cost per mode; a feature the run did not measure (skipped, Redis down) is a miss. */
function featureCostChecks(costs: FeatureCostResult | undefined): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const [variant, max] of Object.entries(TARGETS.featureCost)) {
    for (const mode of MODES) {
      const target = `${variant} on, throughput lost (${mode}${costs === undefined ? '' : `, ${costs.connections} conns`})`;
      const threshold = `≤ ${Math.round(max * 100)} % (CPU per answer ≤ ${round3(1 / (1 - max))}× off)`;
      const row = costs?.rows.find((r) => r.variant === variant && r.mode === mode);
      if (row === undefined) checks.push({ target, measured: costs?.errors[variant] === undefined ? 'not measured' : `failed: ${costs.errors[variant]}`, threshold, pass: false });
      else {
        const lost = row.throughputLost;
        checks.push({ target, measured: `${(lost * 100).toFixed(1)} %: CPU per answer ${row.thisUs} / ${row.baseUs} µs = ${row.ratio}× (median of ${row.ratios.length} rounds)`, threshold, pass: lost <= max });
      }
    }
  }
  return checks;
}
