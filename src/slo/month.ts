/**
 * Calendar months in UTC, the unit of every SLA: parsing `YYYY-MM`, the month's bounds in epoch ms, and
 * claim deadlines counted from the month's end. UTC because rollups are stored in UTC minutes and the
 * providers we cite bill by calendar month; a provider billing in another time zone would shift the
 * bounds by hours, which the report states rather than guesses.
 */
const MONTH_RE = /^(\d{4})-(0[1-9]|1[0-2])$/;
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export interface Month {
  /** `YYYY-MM`. */
  label: string;
  startMs: number;
  /** Exclusive: the first millisecond of the next month. */
  endMs: number;
  minutes: number;
}

export function parseMonth(label: string): Month {
  const m = MONTH_RE.exec(label);
  if (m === null) throw new Error(`expected a month as YYYY-MM (e.g. 2025-06), got "${label}"`);
  const year = Number(m[1]);
  const month = Number(m[2]) - 1;
  const startMs = Date.UTC(year, month, 1);
  const endMs = Date.UTC(year, month + 1, 1);
  return { label, startMs, endMs, minutes: (endMs - startMs) / MINUTE_MS };
}

/** The month an instant falls in. */
export function monthOf(ms: number): Month {
  const d = new Date(ms);
  return parseMonth(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`);
}

/** The deadline `days` after the month's end, or the end of the `months`-th month after it. */
export function claimDeadline(month: Month, window: { days?: number | undefined; months?: number | undefined }): number | undefined {
  if (window.days !== undefined) return month.endMs + window.days * DAY_MS;
  if (window.months !== undefined) {
    const end = new Date(month.endMs);
    return Date.UTC(end.getUTCFullYear(), end.getUTCMonth() + window.months, 1);
  }
  return undefined;
}

export function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
