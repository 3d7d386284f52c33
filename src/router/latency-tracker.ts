/**
 * Exponentially weighted moving average of each deployment's time to first token, for the
 * least-latency plan. EWMA rather than a window: one number per deployment, recent calls dominate, and a
 * deployment that got slow is noticed within a handful of requests.
 */
const ALPHA = 0.3; // weight of the newest sample: ~5 samples to move most of the way to a new level

export class LatencyTracker {
  private readonly ewmaMs = new Map<string, number>();

  record(deploymentId: string, ttftMs: number): void {
    const previous = this.ewmaMs.get(deploymentId);
    this.ewmaMs.set(deploymentId, previous === undefined ? ttftMs : previous + ALPHA * (ttftMs - previous));
  }

  /** Undefined for a deployment never measured. */
  ttftMs(deploymentId: string): number | undefined {
    return this.ewmaMs.get(deploymentId);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.ewmaMs);
  }
}
