/**
 * Latency samples kept exactly (floating-point milliseconds, not a histogram's buckets) and summarised
 * as percentiles. autocannon's own histogram counts whole milliseconds, too coarse for the sub-millisecond
 * targets, so the load runner and the TTFB client record every sample here instead.
 */

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

const MAX_SAMPLES = 4_000_000; // 32 MB of float64: hours of a fast cell; past it, the rest are dropped

export class LatencyRecorder {
  private samples = new Float64Array(1_024);
  private size = 0;

  record(ms: number): void {
    if (this.size === this.samples.length) {
      if (this.size >= MAX_SAMPLES) return;
      const grown = new Float64Array(Math.min(this.size * 2, MAX_SAMPLES));
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  summary(): LatencySummary {
    const sorted = this.samples.slice(0, this.size).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: this.size,
      meanMs: round3(this.size === 0 ? Number.NaN : sum / this.size),
      p50Ms: round3(percentile(sorted, 0.5)),
      p90Ms: round3(percentile(sorted, 0.9)),
      p99Ms: round3(percentile(sorted, 0.99)),
      maxMs: round3(sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!),
    };
  }
}

/** Nearest-rank percentile of ascending samples (NaN when there are none). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

export function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
