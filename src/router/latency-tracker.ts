/**
 * Exponentially weighted moving average of each deployment's time to first token, for the
 * least-latency plan. EWMA rather than a window: one number per deployment, recent calls dominate, and a
 * deployment that got slow is noticed within a handful of requests.
 */
const ALPHA = 0.3; // weight of the newest sample: ~5 samples to move most of the way to a new level
const RECENT = 100; // samples kept per deployment for the p95 that times hedges
const MIN_SAMPLES_FOR_P95 = 20; // fewer samples say nothing about a tail

export class LatencyTracker {
  private readonly ewmaMs = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();

  record(deploymentId: string, ttftMs: number): void {
    const previous = this.ewmaMs.get(deploymentId);
    this.ewmaMs.set(deploymentId, previous === undefined ? ttftMs : previous + ALPHA * (ttftMs - previous));
    let samples = this.recent.get(deploymentId);
    if (samples === undefined) this.recent.set(deploymentId, (samples = []));
    samples.push(ttftMs);
    if (samples.length > RECENT) samples.shift();
  }

  /** The 95th percentile of the recent times to first answer, once there are enough of them. */
  p95Ms(deploymentId: string): number | undefined {
    const samples = this.recent.get(deploymentId);
    if (samples === undefined || samples.length < MIN_SAMPLES_FOR_P95) return undefined;
    const sorted = [...samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
  }

  /** Undefined for a deployment never measured. */
  ttftMs(deploymentId: string): number | undefined {
    return this.ewmaMs.get(deploymentId);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.ewmaMs);
  }
}
