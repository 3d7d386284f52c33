/**
 * Scenario durations as people write them (`2h30m`, `90s`, `1500ms`, or a bare number of seconds) and
 * back. Scenario files speak in scenario time; the drill divides by the time scale to get wall time.
 */

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const DURATION = /^(?:(\d+(?:\.\d+)?)(h|ms|m|s))+$/;
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;

/** Milliseconds for `2h30m`, `45s`, `1.5s`, `250ms` or a number of seconds; undefined when unreadable. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim().replace(/\s+/g, '');
  if (text === '0') return 0;
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
  return total;
}

/** `1h05m`, `12m30s`, `4.2s`, `850ms`: short, and exact enough for a report. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 1 : 0)}s`;
  const totalS = Math.round(abs / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  if (h > 0) return `${sign}${h}h${String(m).padStart(2, '0')}m`;
  return `${sign}${m}m${s === 0 ? '' : `${String(s).padStart(2, '0')}s`}`;
}
