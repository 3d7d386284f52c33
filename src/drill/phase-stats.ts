/**
 * The figures of one slice of a drill (a phase, or the whole run): what the clients observed, joined by
 * request id to Keel's record of the same request for attempts, first-attempt success and cost.
 */
import type { AttemptRecord, RequestRecord } from '../router/router.js';
import type { LoadRecord } from './load-generator.js';
import { countBy, percentiles, ratio } from './report-stats.js';
import type { CostUsd, PhaseStats } from './report-types.js';

export type PriceTable = ReadonlyMap<string, { input_per_mtok: number; output_per_mtok: number } | undefined>;

export interface SliceInput {
  name: string;
  description?: string | undefined;
  scenarioStartMs: number;
  scenarioEndMs: number;
  wallStartMs: number;
  wallEndMs: number;
  records: readonly LoadRecord[];
  probes: readonly LoadRecord[];
  notSent: number;
  keel: ReadonlyMap<string, RequestRecord>;
  prices: PriceTable;
  primary: string;
}

function attemptCost(attempt: AttemptRecord, price: { input_per_mtok: number; output_per_mtok: number } | undefined): number {
  if (attempt.usage === undefined || price === undefined) return 0;
  return (attempt.usage.inputTokens * price.input_per_mtok + attempt.usage.outputTokens * price.output_per_mtok) / 1_000_000;
}

/** Upstream spend, and what the same answers would have cost from the primary; null without prices. */
export function costOf(keelRecords: readonly RequestRecord[], prices: PriceTable, primary: string): CostUsd | null {
  const primaryPrice = prices.get(primary);
  if (primaryPrice === undefined) return null;
  let actual = 0;
  let ifPrimary = 0;
  for (const request of keelRecords) {
    for (const attempt of request.attempts) actual += attemptCost(attempt, prices.get(attempt.deployment));
    const answer = request.outcome === 'ok' && request.degraded === undefined ? request.attempts.findLast((a) => a.outcome === 'ok') : undefined;
    if (answer !== undefined) ifPrimary += attemptCost(answer, primaryPrice);
  }
  const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;
  return { actual: round(actual), if_primary: round(ifPrimary), extra: round(actual - ifPrimary) };
}

export function sliceStats(input: SliceInput): PhaseStats {
  const ended = input.records.filter((r) => r.observation !== undefined);
  const verdict = (r: LoadRecord) => r.observation!.verdict;
  const succeeded = ended.filter((r) => verdict(r).kind === 'ok');
  const failed = ended.filter((r) => verdict(r).kind === 'error');
  const lostRecords = input.records.filter((r) => r.observation === undefined || r.observation.verdict.kind === 'lost');
  const keelRecords = input.records.map((r) => input.keel.get(r.id)).filter((k): k is RequestRecord => k !== undefined);
  const attempts = keelRecords.map((k) => k.attempts.length);
  const upstreamAttempts = attempts.reduce((a, b) => a + b, 0);
  const firstOk = keelRecords.filter((k) => k.attempts[0]?.outcome === 'ok').length;
  const probesEnded = input.probes.filter((p) => p.observation !== undefined);
  const probesOk = probesEnded.filter((p) => p.observation!.verdict.kind === 'ok').length;
  const stats: PhaseStats = {
    name: input.name,
    scenario_start_ms: Math.round(input.scenarioStartMs),
    scenario_end_ms: Math.round(input.scenarioEndMs),
    wall_start_ms: Math.round(input.wallStartMs),
    wall_end_ms: Math.round(input.wallEndMs),
    sent: input.records.length,
    succeeded: succeeded.length,
    degraded: succeeded.filter((r) => r.observation!.degraded !== undefined).length,
    failed: failed.length,
    failed_by_type: countBy(failed, (r) => {
      const v = verdict(r);
      return v.kind === 'error' ? v.errorType : undefined;
    }),
    lost: lostRecords.length,
    lost_by_reason: countBy(lostRecords, (r) => {
      const v = r.observation?.verdict;
      return v === undefined ? 'never ended' : v.kind === 'lost' ? v.reason : undefined;
    }),
    not_sent: input.notSent,
    availability: ratio(succeeded.length, input.records.length),
    first_attempt_success: ratio(firstOk, keelRecords.length),
    primary_direct: { sent: probesEnded.length, succeeded: probesOk, availability: ratio(probesOk, probesEnded.length) },
    latency_ms: percentiles(ended.map((r) => r.observation!.latencyMs)),
    ttft_ms: percentiles(succeeded.filter((r) => r.stream && r.observation!.ttftMs !== undefined).map((r) => r.observation!.ttftMs!)),
    upstream_attempts: upstreamAttempts,
    attempts_per_request: ratio(upstreamAttempts, keelRecords.length),
    max_attempts_per_request: attempts.reduce((a, b) => Math.max(a, b), 0),
    served_by: countBy(succeeded, (r) => (r.observation!.degraded !== undefined ? 'degraded' : r.observation!.deployment ?? 'unknown')),
    cost_usd: costOf(keelRecords, input.prices, input.primary),
  };
  if (input.description !== undefined) stats.description = input.description;
  return stats;
}
