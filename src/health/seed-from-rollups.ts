/**
 * Seeds a replica's health windows from the store's per-minute rollups when it takes over the incident
 * detector. Every replica writes its attempts to the shared store; a replica that just acquired the
 * leader lease may have watched only part of an outage (it restarted, or Redis — which carries the other
 * replicas' outcomes — was down), so without the history it would judge the outage as starting at the
 * takeover, or, once every breaker is open and no attempt reaches the provider, not at all.
 *
 * A minute this replica watched live from its start is left alone (finer buckets, latencies: live wins);
 * any other minute of the long window is seeded, once (a second takeover adds nothing). The minute in which
 * the replica started watching is seeded too, although its own attempts of that minute are then counted
 * twice: the failures before it started are what dates the outage, and one replica's share of one minute
 * barely moves an error rate. A seeded minute lands in the bucket of its first instant, which is where the
 * detector's impact window (floored to the minute) would start anyway.
 */
import type { RollupRow, Store } from '../store/store.js';
import type { HealthWindows } from './health-windows.js';

const MINUTE_MS = 60_000;

export interface SeedResult {
  /** Deployment-minutes added from the store. */
  minutes: number;
  /** Attempts in them. */
  attempts: number;
}

/** Adds the rollups' deployment rows of minutes the windows did not watch, within their long window. */
export function seedFromRollups(windows: HealthWindows, rows: readonly RollupRow[], nowMs: number): SeedResult {
  const known = new Set(windows.deploymentIds());
  const oldestMinute = Math.floor((nowMs - windows.thresholds.longWindowMs) / MINUTE_MS) * MINUTE_MS;
  // Client and probe rows of one minute are judged together: seeding one must not hide the other.
  const byMinute = new Map<string, RollupRow[]>();
  for (const row of rows) {
    if (row.scope !== 'deployment' || !known.has(row.id) || row.minute < oldestMinute || row.minute > nowMs) continue;
    const key = `${row.id}\u0000${row.minute}`;
    const group = byMinute.get(key);
    if (group === undefined) byMinute.set(key, [row]);
    else group.push(row);
  }
  const result: SeedResult = { minutes: 0, attempts: 0 };
  for (const group of byMinute.values()) {
    const { id, minute } = group[0]!;
    if (windows.covers(id, minute, minute + MINUTE_MS)) continue;
    let attempts = 0;
    for (const row of group) {
      const n = Object.values(row.outcomes).reduce((a, b) => a + b, 0);
      if (n === 0) continue;
      windows.addCounted(id, minute, row.outcomes, row.source === 'probe');
      attempts += n;
    }
    if (attempts === 0) continue;
    result.minutes++;
    result.attempts += attempts;
  }
  return result;
}

/** Reads the long window's rollups from the store and seeds the windows with them. */
export async function seedFromStore(store: Pick<Store, 'readRollups'>, windows: HealthWindows, nowMs: number): Promise<SeedResult> {
  const fromMinute = Math.floor((nowMs - windows.thresholds.longWindowMs) / MINUTE_MS) * MINUTE_MS;
  const toMinute = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const rows = await store.readRollups({ fromMinute, toMinute, scope: 'deployment' });
  return seedFromRollups(windows, rows, nowMs);
}
