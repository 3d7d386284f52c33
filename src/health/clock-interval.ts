/**
 * "Every N ms on the injected clock": the detector's evaluations and the probe scheduler run on it, so a
 * test moving a ManualClock moves them too. Each wait gets its own signal, so a clock that keeps abort
 * listeners until a sleep is aborted does not collect one per tick on a long-lived signal.
 */
import type { Clock } from '../core/clock.js';

/** Calls `tick` every `intervalMs` (after each wait, never overlapping itself) until the returned stop is called. */
export function everyOnClock(clock: Clock, intervalMs: number, tick: () => void | Promise<void>): () => void {
  let stopped = false;
  let current: AbortController | undefined;
  void (async () => {
    while (!stopped) {
      current = new AbortController();
      try {
        await clock.sleep(intervalMs, current.signal);
      } catch {
        return;
      }
      if (stopped) return;
      await tick();
    }
  })();
  return () => {
    stopped = true;
    current?.abort();
  };
}
