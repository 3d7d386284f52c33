/**
 * Turns route rollups into the per-minute good/total counts of one SLO's indicator, and keeps them in
 * memory so an evaluation every few seconds re-reads only the last few minutes instead of 30 days.
 *
 * Availability: good = `ok`; bad = a served failure (5xx, Keel shedding load with 429, a degraded stand-in
 * answer); client errors (4xx, a client that hung up) count for neither. A degraded answer is bad: it kept
 * the client going but did not answer the question, and counting it good would let a fallback message
 * hide a total outage from the SLO. Only client traffic counts: probes must never move an SLO.
 * Latency: good = requests in histogram buckets at or under the threshold, of all requests.
 */
import { countsForAvailability } from '../health/served-outcome.js';
import { LATENCY_BUCKETS_MS, type RollupRow, type Store } from '../store/store.js';
import type { SliSpec, SloDefinition } from './slo-definition.js';

const MINUTE_MS = 60_000;

export interface GoodTotal {
  good: number;
  total: number;
}

export function sliCounts(row: Pick<RollupRow, 'outcomes' | 'latencyHistogram'>, sli: SliSpec): GoodTotal {
  if (sli.kind === 'availability') {
    let good = 0;
    let total = 0;
    for (const [outcome, n] of Object.entries(row.outcomes)) {
      if (!countsForAvailability(outcome)) continue;
      total += n;
      if (outcome === 'ok') good += n;
    }
    return { good, total };
  }
  const last = (LATENCY_BUCKETS_MS as readonly number[]).indexOf(sli.thresholdMs);
  let good = 0;
  let total = 0;
  row.latencyHistogram.forEach((n, i) => {
    total += n;
    if (i <= last) good += n;
  });
  return { good, total };
}

export const SLI_SERIES_DEFAULTS = {
  // The recorder flushes every 5 s and holds up to an hour of rows while the store is down; ten minutes
  // covers a flush that failed a few times without re-reading much on every evaluation.
  refreshMinutes: 10,
} as const;

export interface SliSeriesOptions {
  /**
   * Minutes re-read on every refresh: the recorder flushes every few seconds, but a store that was briefly
   * down receives late rows for recent minutes, so the last few are never trusted as final.
   */
  refreshMinutes?: number;
}

/** The per-minute counts of one SLO over its window (plus the longest alert window), kept up to date. */
export class SliSeries {
  private readonly byMinute = new Map<number, GoodTotal>();
  /** The current minute at the last refresh: re-reading starts a few minutes before it, so a gap is filled. */
  private lastMinute: number | undefined;
  private readonly refreshMs: number;

  constructor(
    private readonly slo: SloDefinition,
    private readonly spanMs: number,
    options: SliSeriesOptions = {},
  ) {
    this.refreshMs = (options.refreshMinutes ?? SLI_SERIES_DEFAULTS.refreshMinutes) * MINUTE_MS;
  }

  /** Reads what is new (everything the first time) for the window ending at `nowMs`. */
  async refresh(store: Pick<Store, 'readRollups'>, nowMs: number): Promise<void> {
    const currentMinute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const spanStart = currentMinute - this.spanMs;
    const from = this.lastMinute === undefined ? spanStart : Math.max(spanStart, this.lastMinute - this.refreshMs);
    const rows = await store.readRollups({
      fromMinute: from,
      toMinute: currentMinute + MINUTE_MS,
      scope: 'route',
      source: 'client',
      ...(this.slo.route === '*' ? {} : { id: this.slo.route }),
    });
    for (const minute of this.byMinute.keys()) if (minute >= from || minute < spanStart) this.byMinute.delete(minute);
    for (const row of rows) {
      const counts = sliCounts(row, this.slo.sli);
      const held = this.byMinute.get(row.minute);
      if (held === undefined) this.byMinute.set(row.minute, counts);
      else {
        held.good += counts.good;
        held.total += counts.total;
      }
    }
    this.lastMinute = currentMinute;
  }

  /**
   * Good and total over [nowMs − windowMs, nowMs). The current minute's row holds what has happened so
   * far; the oldest minute, only partly inside the window, is pro-rated (traffic assumed even within a
   * minute), so the window is exactly `windowMs` long at any instant, as the workbook's formulas assume.
   */
  window(nowMs: number, windowMs: number): GoodTotal {
    const startMs = nowMs - windowMs;
    const firstMinute = Math.floor(startMs / MINUTE_MS) * MINUTE_MS;
    let good = 0;
    let total = 0;
    for (let minute = firstMinute; minute < nowMs; minute += MINUTE_MS) {
      const counts = this.byMinute.get(minute);
      if (counts === undefined) continue;
      const share = minute < startMs ? (minute + MINUTE_MS - startMs) / MINUTE_MS : 1;
      good += counts.good * share;
      total += counts.total * share;
    }
    return { good, total };
  }
}
