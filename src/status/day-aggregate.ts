/**
 * One UTC day of minute rollups, folded into what the status page draws: for each component a level per
 * minute (0 up, 1 partial outage, 2 major outage: the share of calls failing, with the health thresholds),
 * and per hour the counts behind the SLIs and the TTFT histograms behind the latency chart. Past days never
 * change once their late rollups are in, so `DayCache` computes each once; only the recent ones are re-read.
 */
import { countsForAvailability, isServedFailure } from '../health/served-outcome.js';
import { HEALTH_DEFAULTS } from '../health/health-defaults.js';
import { componentOfDeployment, componentOfProvider, KEEL_COMPONENT } from '../health/maintenance-calendar.js';
import { isProviderFault, type Outcome } from '../core/outcome.js';
import { LATENCY_BUCKETS_MS, type RollupRow, type Store } from '../store/store.js';
import type { StatusTopology } from './status-model.js';

export const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface HourCounts {
  good: number;
  bad: number;
  /** Route scope only: degraded stand-in answers (already in `bad`). */
  degraded: number;
}

export interface DayAggregate {
  dayStartMs: number;
  /** Per component id: 1440 minute levels (0 up, 1 partial, 2 major); absent when it had no calls. */
  levels: Map<string, Uint8Array>;
  /** Per component id: calls and failures over the day, and the minute of the day of its first call. */
  totals: Map<string, { calls: number; failures: number; firstMinute: number }>;
  /** Per route name and per deployment id: 24 hourly counts. */
  routeHours: Map<string, HourCounts[]>;
  deploymentHours: Map<string, HourCounts[]>;
  /** Per deployment id: 24 hourly TTFT histograms (LATENCY_BUCKETS_MS). */
  ttftHours: Map<string, number[][]>;
}

/** Minute level from counts: the same thresholds live health judges a window by. */
export function minuteLevel(good: number, bad: number): 0 | 1 | 2 {
  const total = good + bad;
  if (total === 0) return 0;
  const rate = bad / total;
  return rate >= HEALTH_DEFAULTS.majorOutageErrorRate ? 2 : rate >= HEALTH_DEFAULTS.partialOutageErrorRate ? 1 : 0;
}

const emptyHours = (): HourCounts[] => Array.from({ length: 24 }, () => ({ good: 0, bad: 0, degraded: 0 }));

/** Good and bad calls of a rollup row: provider faults for deployments, failures to serve for routes. */
function countsOf(row: RollupRow): { good: number; bad: number; degraded: number } {
  let good = 0;
  let bad = 0;
  for (const [outcome, n] of Object.entries(row.outcomes)) {
    if (row.scope === 'deployment') {
      if (outcome === 'ok') good += n;
      else if (isProviderFault(outcome as Outcome)) bad += n;
    } else if (countsForAvailability(outcome)) {
      if (isServedFailure(outcome)) bad += n;
      else good += n;
    }
  }
  return { good, bad, degraded: row.scope === 'route' ? (row.outcomes['degraded'] ?? 0) : 0 };
}

export function aggregateDay(rows: readonly RollupRow[], topology: StatusTopology, dayStartMs: number): DayAggregate {
  const providerOf = new Map(topology.deployments.map((d) => [d.id, d.provider]));
  // Per component, per minute of the day: good and bad counts.
  const perMinute = new Map<string, Map<number, { good: number; bad: number }>>();
  const add = (component: string, minute: number, good: number, bad: number): void => {
    let minutes = perMinute.get(component);
    if (minutes === undefined) perMinute.set(component, (minutes = new Map()));
    const m = minutes.get(minute) ?? { good: 0, bad: 0 };
    m.good += good;
    m.bad += bad;
    minutes.set(minute, m);
  };
  const aggregate: DayAggregate = { dayStartMs, levels: new Map(), totals: new Map(), routeHours: new Map(), deploymentHours: new Map(), ttftHours: new Map() };
  for (const row of rows) {
    if (row.source !== 'client' || row.minute < dayStartMs || row.minute >= dayStartMs + DAY_MS) continue;
    const minute = Math.floor((row.minute - dayStartMs) / MINUTE_MS);
    const hour = Math.floor((row.minute - dayStartMs) / HOUR_MS);
    const { good, bad, degraded } = countsOf(row);
    const hours = row.scope === 'route' ? aggregate.routeHours : aggregate.deploymentHours;
    if (!hours.has(row.id)) hours.set(row.id, emptyHours());
    const slot = hours.get(row.id)![hour]!;
    slot.good += good;
    slot.bad += bad;
    slot.degraded += degraded;
    if (row.scope === 'route') {
      add(KEEL_COMPONENT, minute, good, bad);
      continue;
    }
    add(componentOfDeployment(row.id), minute, good, bad);
    const provider = providerOf.get(row.id);
    if (provider !== undefined) add(componentOfProvider(provider), minute, good, bad);
    let ttft = aggregate.ttftHours.get(row.id);
    if (ttft === undefined) aggregate.ttftHours.set(row.id, (ttft = Array.from({ length: 24 }, () => new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0))));
    const histogram = ttft[hour]!;
    row.ttftHistogram.forEach((n, i) => (histogram[i] = (histogram[i] ?? 0) + n));
  }
  for (const [component, minutes] of perMinute) {
    const levels = new Uint8Array(1440);
    let calls = 0;
    let failures = 0;
    let firstMinute = 1440;
    for (const [minute, m] of minutes) {
      levels[minute] = minuteLevel(m.good, m.bad);
      calls += m.good + m.bad;
      failures += m.bad;
      if (m.good + m.bad > 0) firstMinute = Math.min(firstMinute, minute);
    }
    aggregate.levels.set(component, levels);
    aggregate.totals.set(component, { calls, failures, firstMinute });
  }
  return aggregate;
}

export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Day aggregates, each past day computed once; today (and a day whose late rollups may still arrive) re-read. */
export class DayCache {
  private readonly done = new Map<number, DayAggregate>();

  constructor(
    private readonly store: Pick<Store, 'readRollups'>,
    private readonly topology: StatusTopology,
    // The recorder flushes every few seconds and keeps rows through a store outage of up to an hour.
    private readonly settleMs = 65 * MINUTE_MS,
  ) {}

  /** The `count` days ending with the day of `nowMs`, oldest first. */
  async days(nowMs: number, count: number): Promise<DayAggregate[]> {
    const today = utcDayStart(nowMs);
    const out: DayAggregate[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const dayStartMs = today - i * DAY_MS;
      const cached = this.done.get(dayStartMs);
      if (cached !== undefined) {
        out.push(cached);
        continue;
      }
      // One day per query keeps memory to a day of rows at a time.
      const rows = await this.store.readRollups({ fromMinute: dayStartMs, toMinute: dayStartMs + DAY_MS, source: 'client' });
      const aggregate = aggregateDay(rows, this.topology, dayStartMs);
      if (nowMs >= dayStartMs + DAY_MS + this.settleMs) this.done.set(dayStartMs, aggregate);
      out.push(aggregate);
    }
    for (const day of this.done.keys()) if (day < today - count * DAY_MS) this.done.delete(day);
    return out;
  }
}
