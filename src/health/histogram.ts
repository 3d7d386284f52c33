/**
 * Small bucketed latency histograms and percentiles read from them. Health windows use geometric buckets
 * (each 1.5× the previous, ~25 of them from 25 ms to 5 min: every percentile within ±25%, at a fixed
 * size per window bucket); the status page reads the store's coarser rollup buckets with the same
 * function. Percentiles interpolate linearly inside the bucket they fall in.
 */
import { bucketIndex } from '../store/rollup-math.js';

/** Upper bounds (ms); the last bucket is everything above the last bound. */
export const HEALTH_LATENCY_BOUNDS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let upper = 25; upper <= 300_000; upper *= 1.5) bounds.push(Math.round(upper));
  return bounds;
})();

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function emptyCounts(bounds: readonly number[] = HEALTH_LATENCY_BOUNDS_MS): number[] {
  return new Array<number>(bounds.length + 1).fill(0);
}

export function bucketOf(ms: number, bounds: readonly number[] = HEALTH_LATENCY_BOUNDS_MS): number {
  return bucketIndex(ms, bounds);
}

export function addInto(into: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}

/** The q-quantile (0..1) of the counts, or undefined when empty. The overflow bucket reads as its lower bound. */
export function quantile(counts: readonly number[], q: number, bounds: readonly number[] = HEALTH_LATENCY_BOUNDS_MS): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (count === 0) continue;
    if (seen + count >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] ?? 0);
      const upper = bounds[i] ?? lower;
      const within = count === 0 ? 0 : (rank - seen) / count;
      return Math.round(lower + (upper - lower) * within);
    }
    seen += count;
  }
  return bounds.at(-1);
}

export function percentiles(counts: readonly number[], bounds: readonly number[] = HEALTH_LATENCY_BOUNDS_MS): Percentiles | undefined {
  const p50 = quantile(counts, 0.5, bounds);
  if (p50 === undefined) return undefined;
  return { p50, p95: quantile(counts, 0.95, bounds)!, p99: quantile(counts, 0.99, bounds)! };
}
