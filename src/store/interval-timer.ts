/**
 * The store's background work (flushing rollups, pruning) runs on an injected timer, so tests drive it by
 * hand instead of sleeping, and the real one never keeps a finished process alive.
 */

/** Calls `tick` every `intervalMs` until the returned function is called. */
export type IntervalTimer = (intervalMs: number, tick: () => void) => () => void;

/** setInterval, unref'd: a process that is otherwise done exits without waiting for the next tick. */
export const realIntervalTimer: IntervalTimer = (intervalMs, tick) => {
  const handle = setInterval(tick, intervalMs);
  handle.unref();
  return () => clearInterval(handle);
};

/** A timer a test fires by hand: `fire()` runs every tick currently scheduled. */
export class ManualIntervalTimer {
  private readonly ticks = new Set<() => void>();
  readonly intervals: number[] = [];

  readonly schedule: IntervalTimer = (intervalMs, tick) => {
    this.intervals.push(intervalMs);
    this.ticks.add(tick);
    return () => this.ticks.delete(tick);
  };

  get active(): number {
    return this.ticks.size;
  }

  fire(): void {
    for (const tick of [...this.ticks]) tick();
  }
}
