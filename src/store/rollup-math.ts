/**
 * Arithmetic on rollup rows, shared by the recorder (folding events in memory) and every store (adding a
 * batch to what is stored), so that "add" means the same thing everywhere: counts, histograms, sums and
 * cost add; nothing is averaged.
 */
import { LATENCY_BUCKETS_MS, type RollupRow, type RollupScope, type RollupSource } from './store.js';

const MINUTE_MS = 60_000;

export function floorMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/**
 * The histogram bucket of a duration: the first upper bound it does not exceed, else the overflow bucket.
 * Rollups use the store's bounds; the health windows pass their own (see health/histogram.ts).
 */
export function bucketIndex(ms: number, bounds: readonly number[] = LATENCY_BUCKETS_MS): number {
  // A loop, not `findIndex`: every attempt and request lands here, and a callback is a closure each time.
  let index = 0;
  while (index < bounds.length && !(ms <= bounds[index]!)) index++;
  return index;
}

export function emptyHistogram(): number[] {
  return new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
}

export function emptyRollup(minute: number, scope: RollupScope, id: string, source: RollupSource): RollupRow {
  return {
    minute,
    scope,
    id,
    source,
    outcomes: {},
    latencyHistogram: emptyHistogram(),
    ttftHistogram: emptyHistogram(),
    latencySumMs: 0,
    inputTokens: 0,
    outputTokens: 0,
    cost: 0,
  };
}

/** Identifies a row within its minute (ids are free text, so the separator is one they cannot hold). */
export function rollupKey(row: Pick<RollupRow, 'scope' | 'id' | 'source'>): string {
  return `${row.scope}\u0000${row.source}\u0000${row.id}`;
}

function addHistogram(into: number[], from: readonly number[]): void {
  // Tolerates a row written with fewer buckets: the missing ones count as zero.
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

/** Adds `from`'s numbers into `into` (same key); returns `into`. */
export function addRollup(into: RollupRow, from: RollupRow): RollupRow {
  for (const [outcome, count] of Object.entries(from.outcomes)) into.outcomes[outcome] = (into.outcomes[outcome] ?? 0) + count;
  addHistogram(into.latencyHistogram, from.latencyHistogram);
  addHistogram(into.ttftHistogram, from.ttftHistogram);
  into.latencySumMs += from.latencySumMs;
  into.inputTokens += from.inputTokens;
  into.outputTokens += from.outputTokens;
  into.cost += from.cost;
  return into;
}

export function cloneRollup(row: RollupRow): RollupRow {
  return { ...row, outcomes: { ...row.outcomes }, latencyHistogram: [...row.latencyHistogram], ttftHistogram: [...row.ttftHistogram] };
}
