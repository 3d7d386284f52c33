/**
 * The shape of a benchmark result, as written to bench/results/*.json and read by the report and the
 * target checks. Units are in the names; memory in MB is MiB (1024 × 1024 bytes), as the kernel counts it.
 */
import type { FloorTurnsResult } from './floor-turns.js';
import type { LatencySummary } from './latency.js';
import type { MachineFacts } from './machine.js';
import type { BenchOptions, ScenarioName } from './options.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { Mode } from './requests.js';
import type { VariantName } from './variants.js';

export interface UsagePerRequest {
  /** CPU time of the process divided by the complete answers of the cell, in µs. */
  cpuUsPerRequest: number;
  /** CPU use of the process during the cell, in % of one core. */
  cpuPct: number;
  peakRssMb: number;
}

export interface CellResult {
  scenario: ScenarioName;
  mode: Mode;
  connections: number;
  durationS: number;
  ok: number;
  rps: number;
  errors: number;
  /** What the errors were, e.g. {"status 503": 12}, and the first error body (truncated). */
  errorKinds: Record<string, number>;
  errorSample?: string;
  latency: LatencySummary;
  /** Latency over the direct scenario's cell with the same mode and connections. */
  addedMs?: { p50: number; p99: number };
  /** The measured middle process (bare proxy or Keel); absent for direct. */
  proxy?: UsagePerRequest;
  /** The simulator serving the healthy upstream, for comparison between rows. */
  upstream: UsagePerRequest;
  byDeployment: Record<string, number>;
  /** CPU of the bench process (autocannon) in % of one core: near 100 %, the load generator is the limit. */
  loadGenCpuPct: number;
  /** CPU used by other work on the machine during the cell, in % of one core (tick resolution: ±5 %). */
  otherCpuPct: number;
  /** Failover only: attempts that went to the dead primary during this cell, and how many probes were allowed. */
  primaryAttempts?: number;
  probesAllowed?: number;
}

export interface TtfbRow {
  scenario: ScenarioName;
  ttfb: LatencySummary;
  total: LatencySummary;
  errors: number;
  addedTtfbMs?: { p50: number; p99: number };
}

export interface ScenarioResult {
  name: ScenarioName;
  label: string;
  /** VmHWM of the measured process at the end of the scenario (its peak over its whole life). */
  peakRssMb?: number;
  /** VmRSS right after start, before any load. */
  idleRssMb?: number;
  /** The keel.yaml the scenario ran with (Keel scenarios). */
  configYaml?: string;
  cells: CellResult[];
  ttfb?: TtfbRow;
  notes: string[];
  /** Set when the scenario could not run to the end; its cells are whatever was measured before. */
  error?: string;
}

/** N streams held open through one middle process (Keel, or the bare proxy as the floor). */
export interface StreamHold {
  /** Streams whose first byte arrived. */
  open: number;
  failed: number;
  failures: Record<string, number>;
  /** Upstream streams the simulator was serving during the hold. */
  upstreamActive: number;
  /** Upstream streams still open 10 s after every client left (the proxy must cancel them: 0). */
  upstreamLeftOpen: number;
  rampS: number;
  idleRssMb: number;
  /** Largest VmRSS sampled from the first stream to the end of the hold. */
  peakRssMb: number;
  hwmMb: number;
  /** (peak − idle) / open streams, in KB. */
  rssPerStreamKb: number;
  /** CPU of the middle process while the streams were held, in % of one core. */
  cpuPctDuringHold: number;
}

export interface ManyStreamsResult {
  requested: number;
  holdS: number;
  tokenDelayMs: number;
  maxConnections: number;
  keel: StreamHold;
  bare: StreamHold;
  notes: string[];
}

export interface TargetCheck {
  target: string;
  measured: string;
  threshold: string;
  pass: boolean;
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  elapsedS: number;
  machine: MachineFacts;
  settings: BenchOptions & { keelServer: Record<string, unknown>; topology: string };
  scenarios: ScenarioResult[];
  manyStreams?: ManyStreamsResult;
  manyStreamsError?: string;
  featureCosts?: FeatureCostResult;
  /** Keel and the bare proxy in turns (floor-turns.ts): the throughput targets' figures. */
  floorTurns?: FloorTurnsResult;
  floorTurnsError?: string;
  targets: TargetCheck[];
  profiles: ProfileSummary[];
}

/** One feature's cost in one mode: the median over rounds of (CPU per answer on ÷ off). */
export interface FeatureCostRow {
  variant: VariantName;
  label: string;
  mode: Mode;
  baseUs: number;
  thisUs: number;
  /** Of `baseUs` and `thisUs`, the main thread's (medians): the rest is V8's garbage collection and compiler threads. */
  baseMainUs: number;
  thisMainUs: number;
  /** The median of `ratios`, CPU per answer on ÷ off (to two places). */
  ratio: number;
  ratios: number[];
  /** The share of throughput the feature costs, `1 − 1 / ratio`, from the unrounded median (to three places). */
  throughputLost: number;
}

export interface FeatureCostResult {
  rounds: number;
  burstS: number;
  connections: number;
  rows: FeatureCostRow[];
  notes: string[];
  /** Variants that could not be measured, with why. */
  errors: Record<string, string>;
}
