/**
 * Small statistics the drill report needs: nearest-rank percentiles, rates that say "no data" instead
 * of dividing by zero, and counting by key; and how the text and HTML reports print them alike.
 */
import { formatDurationMs } from './duration.js';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** The slowest: with a few hundred requests a phase, p99 hides the worst two or three. */
  max: number | null;
}

/** Nearest-rank percentile of an ascending array; null when it is empty. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
  return { p50: round(percentile(sorted, 0.5)), p95: round(percentile(sorted, 0.95)), p99: round(percentile(sorted, 0.99)), max: round(sorted.at(-1) ?? null) };
}

/** `part / whole`, or null when there is nothing to divide. */
export function ratio(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

export function countBy<T>(items: Iterable<T>, key: (item: T) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== undefined) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** A share as a percentage for people: `99.93%`, `100%`, `—` for no data. */
export function formatPercent(value: number | null, digits = 2): string {
  if (value === null) return '—';
  if (value === 1) return '100%';
  // Never round 99.996% up to 100%: a report must not hide the one failure.
  const factor = 10 ** digits;
  return `${(Math.floor(value * 100 * factor) / factor).toFixed(digits)}%`;
}

/** `$0.0123`, `-$0.0040`: drills spend fractions of a cent, so four decimals. */
export function formatUsd(value: number): string {
  return `${value < 0 ? '-' : ''}$${Math.abs(value).toFixed(4)}`;
}

/** The price of failing over, in words that stay true when the fallbacks are the cheaper ones. */
export function describeExtraCost(extra: number): string {
  if (extra === 0) return 'failing over cost nothing extra';
  return extra > 0 ? `failing over cost ${formatUsd(extra)} more` : `failing over cost ${formatUsd(-extra)} less (the fallbacks are cheaper)`;
}

/** A phase's time to detect as a cell: blank where no fault on the primary began, `not opened` when it never opened. */
export function formatDetect(value: number | null | undefined): string {
  if (value === undefined) return '';
  return value === null ? 'not opened' : formatDurationMs(value);
}

/** A phase's time back on the primary as a cell: blank where no fault ended, `never` when it answered nothing again. */
export function formatBack(value: number | null | undefined): string {
  if (value === undefined) return '';
  return value === null ? 'never' : formatDurationMs(value);
}
