/**
 * The batch writes of the PostgreSQL store, each one statement whatever the batch size: the rows travel
 * as one JSONB parameter, unpacked by `jsonb_to_recordset` in the batch's order (`WITH ORDINALITY`).
 * This is where the additive rollup upsert lives, the statement several replicas run at once.
 */
import { addRollup, cloneRollup, rollupKey } from '../rollup-math.js';
import type { AttemptSample, RollupRow } from '../store.js';

const ROLLUP_COLUMNS = `scope text, id text, source text, minute bigint, outcomes jsonb, latency_histogram bigint[],
  ttft_histogram bigint[], latency_sum_ms double precision, input_tokens bigint, output_tokens bigint, cost double precision`;
const ROLLUP_NAMES = 'scope, id, source, minute, outcomes, latency_histogram, ttft_histogram, latency_sum_ms, input_tokens, output_tokens, cost';
const SAMPLE_COLUMNS = 'at bigint, deployment text, route text, outcome text, status integer, latency_ms double precision, message text, request_id text';
const SAMPLE_NAMES = 'at, deployment, route, outcome, status, latency_ms, message, request_id';

/**
 * Adds a batch ($1: JSON array of `rollupRecord`s) to the stored rows. On conflict PostgreSQL locks the
 * stored row and applies the update to its latest committed version, so concurrent adds all count.
 */
export function upsertRollupsSql(s: string): string {
  return `
    INSERT INTO ${s}.rollups AS r (${ROLLUP_NAMES})
    SELECT ${ROLLUP_NAMES} FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${ROLLUP_COLUMNS}))
      WITH ORDINALITY AS b(${ROLLUP_NAMES}, n)
    ORDER BY n
    ON CONFLICT (scope, id, source, minute) DO UPDATE SET
      outcomes = ${s}.add_counts(r.outcomes, excluded.outcomes),
      latency_histogram = ${s}.add_buckets(r.latency_histogram, excluded.latency_histogram),
      ttft_histogram = ${s}.add_buckets(r.ttft_histogram, excluded.ttft_histogram),
      latency_sum_ms = r.latency_sum_ms + excluded.latency_sum_ms,
      input_tokens = r.input_tokens + excluded.input_tokens,
      output_tokens = r.output_tokens + excluded.output_tokens,
      cost = r.cost + excluded.cost`;
}

/** Inserts samples ($1: JSON array of `sampleRecord`s) in order, so `seq` keeps the batch's order. */
export function insertSamplesSql(s: string): string {
  return `
    INSERT INTO ${s}.attempt_samples (${SAMPLE_NAMES})
    SELECT ${SAMPLE_NAMES} FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (${SAMPLE_COLUMNS}))
      WITH ORDINALITY AS b(${SAMPLE_NAMES}, n)
    ORDER BY n`;
}

/** Inserts an incident's updates ($1: incident id, $2: JSON array), numbered from 0 in order. */
export function insertUpdatesSql(s: string): string {
  return `
    INSERT INTO ${s}.incident_updates (incident_id, seq, at, status, message, evidence, author)
    SELECT $1, n - 1, at, status, message, evidence, author
    FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (at bigint, status text, message text, evidence jsonb, author text))
      WITH ORDINALITY AS u(at, status, message, evidence, author, n)`;
}

/**
 * PostgreSQL text cannot hold NUL, and a provider's error message is untrusted text: a NUL in it would
 * fail the whole batch on every retry, so it is dropped (SQLite would have kept it).
 */
export function sampleRecord(sample: AttemptSample): Record<string, string | number | null> {
  return {
    at: sample.at,
    deployment: sample.deployment,
    route: sample.route,
    outcome: sample.outcome,
    status: sample.status ?? null,
    latency_ms: sample.latencyMs,
    message: sample.message === undefined ? null : sample.message.replaceAll('\u0000', ''),
    request_id: sample.requestId,
  };
}

/**
 * Folds rows of the same key into one (ON CONFLICT cannot touch one row twice in a statement) and sorts
 * them by key: every replica then locks rows in the same order, so concurrent batches cannot deadlock.
 */
export function mergeByKey(rows: RollupRow[]): RollupRow[] {
  const merged = new Map<string, RollupRow>();
  for (const row of rows) {
    const key = `${row.minute}\u0000${rollupKey(row)}`;
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, cloneRollup(row));
    else addRollup(seen, row);
  }
  return [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
