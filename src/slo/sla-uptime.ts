/**
 * A month's uptime by a provider's own method, from per-minute request and error counts: which intervals
 * were down (the evidence a claim needs), the downtime, the uptime percentage, the credit tier it falls
 * in and the money that tier is worth. Pure arithmetic: the report gathers the counts.
 */
import { MINUTE_MS, type Month } from './month.js';
import type { DowntimeMethod, SlaEntry } from './sla-schema.js';

export interface MinuteCount {
  /** Requests that count (client errors excluded when the SLA excludes them). */
  requests: number;
  errors: number;
  /** Counted requests by outcome, for the evidence. */
  outcomes: Record<string, number>;
}

export interface IntervalEvidence {
  startMs: number;
  endMs: number;
  requests: number;
  errors: number;
  errorRate: number;
  outcomes: Record<string, number>;
}

export interface UptimeResult {
  method: DowntimeMethod;
  monthMinutes: number;
  excludedMinutes: number;
  /** Minutes the uptime is computed over (the month less exclusions). */
  consideredMinutes: number;
  /**
   * Considered minutes in which Keel saw at least one request. The SLA methods count a minute without
   * traffic as up, so an uptime says nothing about the rest: reports show this beside it.
   */
  observedMinutes: number;
  /** Down minutes (bad-intervals), or the minutes the average error rate amounts to (average-error-rate). */
  downtimeMinutes: number;
  uptimePercent: number;
  requests: number;
  errors: number;
  /** Intervals counted as down, or with errors when the method averages error rates. */
  evidence: IntervalEvidence[];
}

/**
 * Keel's method when a provider's is unknown: a minute is down when more than 5% of its requests failed
 * (the threshold Google Cloud's SLAs use), minutes without requests are up.
 */
export const KEEL_DEFAULT_METHOD: DowntimeMethod = { method: 'bad-intervals', interval_minutes: 1, error_rate_above: 0.05, min_consecutive_intervals: 1 };

export function measureUptime(month: Month, counts: ReadonlyMap<number, MinuteCount>, excluded: ReadonlySet<number>, method: DowntimeMethod): UptimeResult {
  const intervalMs = method.interval_minutes * MINUTE_MS;
  const intervals: (IntervalEvidence & { minutes: number })[] = [];
  let requests = 0;
  let errors = 0;
  let observedMinutes = 0;
  for (let start = month.startMs; start < month.endMs; start += intervalMs) {
    const end = Math.min(start + intervalMs, month.endMs);
    const interval = { startMs: start, endMs: end, requests: 0, errors: 0, errorRate: 0, outcomes: {} as Record<string, number>, minutes: 0 };
    for (let minute = start; minute < end; minute += MINUTE_MS) {
      if (excluded.has(minute)) continue;
      interval.minutes++;
      const c = counts.get(minute);
      if (c === undefined) continue;
      if (c.requests > 0) observedMinutes++;
      interval.requests += c.requests;
      interval.errors += c.errors;
      for (const [o, n] of Object.entries(c.outcomes)) interval.outcomes[o] = (interval.outcomes[o] ?? 0) + n;
    }
    interval.errorRate = interval.requests === 0 ? 0 : interval.errors / interval.requests;
    requests += interval.requests;
    errors += interval.errors;
    if (interval.minutes > 0) intervals.push(interval);
  }
  const consideredMinutes = intervals.reduce((n, i) => n + i.minutes, 0);
  const base = { method, monthMinutes: month.minutes, excludedMinutes: month.minutes - consideredMinutes, consideredMinutes, observedMinutes, requests, errors };
  const strip = ({ minutes: _minutes, ...evidence }: (typeof intervals)[number]): IntervalEvidence => evidence;

  if (method.method === 'average-error-rate') {
    const sumRates = intervals.reduce((n, i) => n + i.errorRate, 0);
    const meanRate = intervals.length === 0 ? 0 : sumRates / intervals.length;
    return { ...base, downtimeMinutes: meanRate * consideredMinutes, uptimePercent: 100 - 100 * meanRate, evidence: intervals.filter((i) => i.errors > 0).map(strip) };
  }

  const down = intervals.map((i) => i.requests > 0 && i.errorRate > method.error_rate_above);
  // Only runs of at least `min_consecutive_intervals` count ("a Downtime Period of five or more minutes").
  const counted = down.map(() => false);
  for (let i = 0; i < down.length; ) {
    let j = i;
    while (j < down.length && down[j]) j++;
    if (j - i >= method.min_consecutive_intervals) for (let k = i; k < j; k++) counted[k] = true;
    i = Math.max(j, i + 1);
  }
  const evidence = intervals.filter((_, i) => counted[i]);
  const downtimeMinutes = evidence.reduce((n, i) => n + i.minutes, 0);
  // Integer arithmetic first so a boundary (exactly 99.0%) stays exact.
  const uptimePercent = consideredMinutes === 0 ? 100 : ((consideredMinutes - downtimeMinutes) * 100) / consideredMinutes;
  return { ...base, downtimeMinutes, uptimePercent, evidence: evidence.map(strip) };
}

export interface Credit {
  /** The tier's credit, as a percentage of the spend; 0 when the target was met; undefined when the tiers are unknown. */
  creditPercent: number | undefined;
  creditUsd: number | undefined;
  /** Why there is no money: target met, tiers unknown, under the issuing minimum. */
  note?: string;
}

/** The lowest tier whose threshold the uptime is under: tiers are listed from the highest threshold down. */
export function creditFor(entry: SlaEntry | undefined, uptimePercent: number, spendUsd: number): Credit {
  if (entry === undefined || entry.status !== 'published') return { creditPercent: undefined, creditUsd: undefined, note: 'no public SLA terms recorded' };
  if (entry.uptime_target_percent !== undefined && uptimePercent >= entry.uptime_target_percent) return { creditPercent: 0, creditUsd: 0, note: 'target met' };
  if (entry.credit_tiers === undefined) return { creditPercent: undefined, creditUsd: undefined, note: 'target missed, but the credit tiers are not recorded: see the source' };
  let creditPercent = 0;
  for (const tier of entry.credit_tiers) if (uptimePercent < tier.below_percent) creditPercent = tier.credit_percent;
  const creditUsd = (creditPercent / 100) * spendUsd;
  if (entry.credit_issued_above_usd !== undefined && creditUsd > 0 && creditUsd <= entry.credit_issued_above_usd) {
    return { creditPercent, creditUsd: 0, note: `credit of $${creditUsd.toFixed(2)} is not issued (only above $${entry.credit_issued_above_usd})` };
  }
  return { creditPercent, creditUsd };
}
