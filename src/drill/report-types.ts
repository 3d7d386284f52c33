/**
 * The drill report's JSON shape (`report.json`): what the table and the HTML page are rendered from.
 * Times named `*_ms` are wall-clock milliseconds unless named `scenario_*`; shares are 0..1 (null: no
 * data). Field names are snake_case like keel.yaml's, since people read and diff this file.
 */
import type { VendorLead } from './vendor-voice.js';
import type { Percentiles } from './report-stats.js';

export interface CostUsd {
  /** What the upstream calls cost at each deployment's price. */
  actual: number;
  /** What the same answers would have cost had the primary served them all. */
  if_primary: number;
  /** actual − if_primary: the price of failing over (negative when the fallbacks are cheaper). */
  extra: number;
}

export interface PhaseStats {
  name: string;
  description?: string;
  scenario_start_ms: number;
  scenario_end_ms: number;
  wall_start_ms: number;
  wall_end_ms: number;
  /** Client requests sent through Keel; each ends as exactly one of succeeded, failed or lost. */
  sent: number;
  succeeded: number;
  /** Of the succeeded: answers Keel served from its degraded-answer cache or static message. */
  degraded: number;
  /** Clean errors: an error status with a parseable error body, or an in-stream error event. */
  failed: number;
  failed_by_type: Record<string, number>;
  /** No clean answer: a hard client timeout, a socket error, a malformed or truncated answer. Must be 0. */
  lost: number;
  lost_by_reason: Record<string, number>;
  /** Arrivals dropped by the load generator's in-flight cap (never sent, so neither lost nor failed). */
  not_sent: number;
  /** succeeded / sent: what clients saw through Keel. */
  availability: number | null;
  /** Share of requests whose first upstream attempt succeeded (before any retry or failover). */
  first_attempt_success: number | null;
  /** Probes sent straight to the primary without Keel: what clients calling it directly saw. */
  primary_direct: { sent: number; succeeded: number; availability: number | null };
  /**
   * How long clients waited: to an answer, a clean error, or the end of a lost request (its own deadline
   * for a request never answered), so a hang that costs a client its whole deadline shows here.
   */
  latency_ms: Percentiles;
  /** Streams only: time to the first content token. */
  ttft_ms: Percentiles;
  upstream_attempts: number;
  /** Retry amplification: upstream attempts per client request. */
  attempts_per_request: number | null;
  max_attempts_per_request: number;
  /** Answers by the deployment that gave them ("degraded" for Keel's stand-in answers). */
  served_by: Record<string, number>;
  /** The same answers by provider and region ("bedrock us-west-2"). */
  served_from?: Record<string, number>;
  cost_usd: CostUsd | null;
  /**
   * Present in a phase whose start began a fault on the primary or made it hit every request: ms from
   * then until the primary's breaker was open (0: it already was; null: it did not open during the fault).
   */
  time_to_detect_ms?: number | null;
  /**
   * Present in a phase whose start mended the primary: ms from then to the first request sent afterwards
   * that the primary answered (null: none did).
   */
  time_back_on_primary_ms?: number | null;
}

export interface IncidentStats {
  deployment: string;
  causes: string[];
  phase: string;
  fault_start_ms: number;
  fault_end_ms: number | null;
  scenario_fault_start_ms: number;
  scenario_fault_end_ms: number | null;
  /** Fault start → the deployment's breaker opened (null: it never opened during the fault). */
  time_to_detect_ms: number | null;
  /** When the fault first hit every request (null: it only ever hit a share of them). */
  full_outage_start_ms: number | null;
  scenario_full_outage_start_ms: number | null;
  /**
   * That moment → the breaker was open: 0 when it already was, null when it did not open before the fault
   * ended (or the fault never hit every request). What "detects a dead provider within 5 s" is judged by.
   */
  time_to_detect_full_outage_ms: number | null;
  detected_in_phase: string | null;
  breaker_opens: number;
  /** Fault end → the breaker closed again: 0 when it was closed at the end, null when it never opened or never closed. */
  breaker_closed_after_ms: number | null;
  /** Fault end → the first request sent afterwards that this deployment answered. */
  time_to_recover_ms: number | null;
}

export interface DeploymentStats {
  id: string;
  provider: string;
  region: string | null;
  model: string;
  price: { input_per_mtok: number; output_per_mtok: number } | null;
  upstream_attempts: number;
  attempts_by_outcome: Record<string, number>;
  answered: number;
  share_of_answers: number | null;
  breaker_opens: number;
}

export interface SeriesBucket {
  /** Scenario time at the start of the bucket. */
  scenario_ms: number;
  sent: number;
  succeeded: number;
  failed: number;
  lost: number;
  degraded: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  direct_sent: number;
  direct_succeeded: number;
  served_by: Record<string, number>;
}

export interface CrossChecks {
  /** Client requests Keel reported as requests (router `request` events), joined by request id. */
  keel_requests: number;
  missing_in_keel: number;
  /** Requests where the client's success/failure disagrees with Keel's recorded outcome. */
  outcome_mismatches: number;
  /** Answers whose x-keel-deployment header disagrees with Keel's record. */
  served_by_mismatches: number;
  /** Streams committed by one deployment (its x-keel-deployment header) and finished by another. */
  continued_mid_stream: number;
  keel_upstream_attempts: number;
  /** Attempts that never reached the simulator: the endpoint refused the connection. */
  keel_attempts_refused: number;
  direct_probes_sent: number;
  direct_probes_refused: number;
  /** What the simulator counted, and what Keel's attempts plus the direct probes predict it counted. */
  simulator_requests: number;
  simulator_expected: number;
  simulator_faults_applied: Record<string, number>;
  examples: string[];
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DrillReport {
  scenario: {
    name: string;
    description: string;
    file: string;
    route: string;
    primary: string;
    seed: number;
    scenario_duration_ms: number;
    time_scale: number;
    wall_duration_ms: number;
    rate_per_s: number;
    stream_share: number;
    clients: { openai: number; anthropic: number };
  };
  started_at: string;
  elapsed_ms: number;
  notes: string[];
  checks: Check[];
  overall: PhaseStats;
  phases: PhaseStats[];
  incidents: IncidentStats[];
  /** Keel's lead over the simulated vendor status page, when the scenario has one. */
  vendor?: VendorLead;
  deployments: DeploymentStats[];
  cross_checks: CrossChecks;
  timeline: { scenario_ms: number; wall_ms: number; phase: string; action: string }[];
  series: { bucket_wall_ms: number; buckets: SeriesBucket[] };
}
