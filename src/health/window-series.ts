/**
 * A sliding series of fixed-size time buckets (counts by outcome, latency and TTFT histograms) from which
 * any window up to the retention is summed on demand. Buckets are created only when something lands in
 * them, so an idle deployment costs nothing; old buckets are dropped as new ones arrive or on read.
 */
import { addInto, bucketOf, emptyCounts, percentiles } from './histogram.js';
import type { WindowStats } from './judge-status.js';

export interface SeriesBucket {
  startMs: number;
  outcomes: Record<string, number>;
  attempts: number;
  probes: number;
  successes: number;
  faults: number;
  latency: number[];
  ttft: number[];
}

export interface SeriesSample {
  outcome: string;
  success: boolean;
  fault: boolean;
  probe: boolean;
  latencyMs: number;
  ttftMs?: number | undefined;
}

export class WindowSeries {
  private buckets: SeriesBucket[] = [];

  constructor(
    private readonly bucketMs: number,
    private readonly retainMs: number,
  ) {}

  add(atMs: number, sample: SeriesSample): void {
    const bucket = this.bucketAt(Math.floor(atMs / this.bucketMs) * this.bucketMs);
    bucket.outcomes[sample.outcome] = (bucket.outcomes[sample.outcome] ?? 0) + 1;
    bucket.attempts++;
    if (sample.probe) bucket.probes++;
    if (sample.success) bucket.successes++;
    if (sample.fault) bucket.faults++;
    const latency = bucketOf(sample.latencyMs);
    bucket.latency[latency] = (bucket.latency[latency] ?? 0) + 1;
    if (sample.ttftMs !== undefined) {
      const ttft = bucketOf(sample.ttftMs);
      bucket.ttft[ttft] = (bucket.ttft[ttft] ?? 0) + 1;
    }
  }

  /**
   * Adds counts already summed elsewhere (a stored per-minute rollup) into the bucket holding `atMs`.
   * Latencies are not carried: the rollups' coarser histogram would distort the percentiles judged here.
   */
  addCounts(atMs: number, counts: { outcomes: Record<string, number>; successes: number; faults: number; probes: number }): void {
    const bucket = this.bucketAt(Math.floor(atMs / this.bucketMs) * this.bucketMs);
    for (const [outcome, n] of Object.entries(counts.outcomes)) {
      bucket.outcomes[outcome] = (bucket.outcomes[outcome] ?? 0) + n;
      bucket.attempts += n;
    }
    bucket.successes += counts.successes;
    bucket.faults += counts.faults;
    bucket.probes += counts.probes;
  }

  /** Whether any attempt landed in [fromMs, toMs). */
  hasAttempts(fromMs: number, toMs: number): boolean {
    return this.buckets.some((b) => b.attempts > 0 && b.startMs + this.bucketMs > fromMs && b.startMs < toMs);
  }

  /** Buckets that overlap [nowMs − windowMs, nowMs], oldest first. */
  window(nowMs: number, windowMs: number): readonly SeriesBucket[] {
    this.trim(nowMs);
    const from = nowMs - windowMs;
    return this.buckets.filter((b) => b.startMs + this.bucketMs > from && b.startMs <= nowMs);
  }

  private bucketAt(startMs: number): SeriesBucket {
    const last = this.buckets.at(-1);
    if (last !== undefined && last.startMs === startMs) return last;
    // Events arrive almost in order; a late one searches back from the newest bucket.
    let index = this.buckets.length;
    while (index > 0 && this.buckets[index - 1]!.startMs > startMs) index--;
    const existing = this.buckets[index - 1];
    if (existing !== undefined && existing.startMs === startMs) return existing;
    const bucket: SeriesBucket = { startMs, outcomes: {}, attempts: 0, probes: 0, successes: 0, faults: 0, latency: emptyCounts(), ttft: emptyCounts() };
    this.buckets.splice(index, 0, bucket);
    this.trim(startMs);
    return bucket;
  }

  private trim(nowMs: number): void {
    const cutoff = nowMs - this.retainMs - this.bucketMs;
    let drop = 0;
    while (drop < this.buckets.length && this.buckets[drop]!.startMs < cutoff) drop++;
    if (drop > 0) this.buckets.splice(0, drop);
  }
}

/** Sums buckets (of one series or several) into the figures a window is judged on. */
export function statsOf(buckets: Iterable<SeriesBucket>, windowMs: number): WindowStats {
  const outcomes: Record<string, number> = {};
  const latency = emptyCounts();
  const ttft = emptyCounts();
  let attempts = 0;
  let probes = 0;
  let successes = 0;
  let faults = 0;
  for (const b of buckets) {
    for (const [outcome, n] of Object.entries(b.outcomes)) outcomes[outcome] = (outcomes[outcome] ?? 0) + n;
    attempts += b.attempts;
    probes += b.probes;
    successes += b.successes;
    faults += b.faults;
    addInto(latency, b.latency);
    addInto(ttft, b.ttft);
  }
  return { windowMs, attempts, probes, outcomes, successes, faults, errorRate: attempts === 0 ? 0 : faults / attempts, latencyMs: percentiles(latency), ttftMs: percentiles(ttft) };
}
