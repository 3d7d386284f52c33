/**
 * How long the store keeps what, and the daily job that prunes the rest. Pruning runs once at start
 * (a gateway restarted more often than daily would otherwise never prune) and then every day.
 */
import type { Clock } from '../core/clock.js';
import { realIntervalTimer, type IntervalTimer } from './interval-timer.js';
import type { PruneCutoffs, Store } from './store.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const RETENTION_DEFAULTS = {
  // A year of monthly SLA reports plus a month's grace, so this month can be compared with the same
  // month last year and a credit claimed late still has its evidence.
  rollupsDays: 400,
  // Raw samples only explain incidents while someone is looking at them; the postmortem quotes the ones
  // it needs, and a month covers the writing of it.
  samplesDays: 30,
  // Resolved incidents stay as long as the rollups that measure them: the status page's history and the
  // SLA report both cite them.
  resolvedIncidentsDays: 400,
  // Stored Responses API answers: OpenAI keeps them 30 days; a conversation idle longer starts afresh.
  responsesDays: 30,
  intervalMs: DAY_MS, // daily: the smallest retention is days, so finer pruning buys nothing
} as const;

export interface RetentionOptions {
  rollupsDays?: number;
  samplesDays?: number;
  resolvedIncidentsDays?: number;
  responsesDays?: number;
  intervalMs?: number;
  timer?: IntervalTimer;
  /** A failed prune; the next one tries again. */
  onError?: (error: unknown) => void;
}

/** The cut-offs for a prune run at `nowMs`. */
export function retentionCutoffs(
  nowMs: number,
  options: Pick<RetentionOptions, 'rollupsDays' | 'samplesDays' | 'resolvedIncidentsDays' | 'responsesDays'> = {},
): Required<PruneCutoffs> {
  return {
    rollupsBefore: nowMs - (options.rollupsDays ?? RETENTION_DEFAULTS.rollupsDays) * DAY_MS,
    samplesBefore: nowMs - (options.samplesDays ?? RETENTION_DEFAULTS.samplesDays) * DAY_MS,
    incidentsBefore: nowMs - (options.resolvedIncidentsDays ?? RETENTION_DEFAULTS.resolvedIncidentsDays) * DAY_MS,
    responsesBefore: nowMs - (options.responsesDays ?? RETENTION_DEFAULTS.responsesDays) * DAY_MS,
  };
}

/** Prunes now and then every interval; returns the function that stops it. A failure never throws. */
export function scheduleRetention(store: Pick<Store, 'prune'>, clock: Clock, options: RetentionOptions = {}): () => void {
  let running = false;
  const run = (): void => {
    if (running) return; // a slow prune is not stacked on by the next tick
    running = true;
    void Promise.resolve()
      .then(() => store.prune(retentionCutoffs(clock.now(), options)))
      .catch((error: unknown) => {
        try {
          options.onError?.(error);
        } catch {
          // A throwing handler must not become an unhandled rejection.
        }
      })
      .finally(() => {
        running = false;
      });
  };
  const stop = (options.timer ?? realIntervalTimer)(options.intervalMs ?? RETENTION_DEFAULTS.intervalMs, run);
  run();
  return stop;
}
