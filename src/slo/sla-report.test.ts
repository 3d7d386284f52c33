import { describe, expect, it } from 'vitest';
import { SloMemoryStore } from './__fixtures__/memory-store.js';
import { row } from './__fixtures__/rollups.js';
import { isoDate, parseMonth } from './month.js';
import { buildSlaReport, type ReportDeployment } from './sla-report.js';
import { formatSlaReport } from './sla-format.js';
import { loadSlaFile, slaFileSchema, type SlaFile } from './sla-schema.js';
import type { RollupRow } from '../store/store.js';

const M = 60_000;
const june = parseMonth('2025-06'); // 30 days: 43,200 minutes
const OUTAGE_START = Date.UTC(2025, 5, 10, 10, 0);
const OUTAGE_END = Date.UTC(2025, 5, 10, 12, 0); // 2 hours
const tiers = [
  { below_percent: 99.9, credit_percent: 10 },
  { below_percent: 99, credit_percent: 25 },
  { below_percent: 95, credit_percent: 100 },
];
const sla: SlaFile = slaFileSchema.parse({
  version: 1,
  slas: [
    {
      id: 'per-minute',
      name: 'Provider A (per-minute 5% errors)',
      status: 'published',
      sources: [{ url: 'https://example.com/a', checked: '2025-07-01' }],
      uptime_target_percent: 99.9,
      downtime: { method: 'bad-intervals', interval_minutes: 1, error_rate_above: 0.05 },
      credit_tiers: tiers,
      claim_window: { days_after_month_end: 30 },
    },
    {
      id: 'five-minute',
      name: 'Provider B (5-minute intervals, 5% errors)',
      status: 'published',
      sources: [{ url: 'https://example.com/b', checked: '2025-07-01' }],
      uptime_target_percent: 99.9,
      downtime: { method: 'bad-intervals', interval_minutes: 5, error_rate_above: 0.05 },
      credit_tiers: tiers,
      claim_window: { months_after_month_end: 2 },
    },
  ],
  deployments: { 'dep-a': 'per-minute', 'dep-b': 'five-minute' },
});
const deployments: ReportDeployment[] = [
  { id: 'dep-a', provider: 'openai-compatible', base_url: 'https://a.example/v1' },
  { id: 'dep-b', provider: 'openai-compatible', base_url: 'https://b.example/v1' },
];

/** A month of traffic, 100 attempts a minute at $0.01, with the 2-hour outage and `extra` per-minute outcomes. */
async function monthOfTraffic(extra: (minute: number) => Record<string, number> | undefined = () => undefined): Promise<SloMemoryStore> {
  const store = new SloMemoryStore();
  for (const id of ['dep-a', 'dep-b']) {
    const rows: RollupRow[] = [];
    for (let m = june.startMs; m < june.endMs; m += M) {
      const inOutage = m >= OUTAGE_START && m < OUTAGE_END;
      // Client errors in the outage never count: the provider answered them.
      const outcomes = inOutage ? { overloaded: 100, bad_request: 7 } : (extra(m) ?? { ok: 100 });
      rows.push(row({ minute: m, scope: 'deployment', id, outcomes, cost: 0.01 }));
    }
    await store.addRollups(rows);
  }
  return store;
}

describe('monthly SLA report', () => {
  it('measures a 2-hour outage in a 30-day month as 99.7222% and owes 10% of the month spend', async () => {
    const store = await monthOfTraffic();
    await store.saveIncident({ id: 'inc_1', component: 'deployment:dep-a', title: 'dep-a overloaded', status: 'resolved', impact: 'major_outage', openedAt: OUTAGE_START + M, resolvedAt: OUTAGE_END + 5 * M, impactStart: OUTAGE_START, impactEnd: OUTAGE_END, updates: [] });
    const report = await buildSlaReport({ store, deployments, sla, month: june });
    const [a, b] = report.providers;
    for (const p of [a!, b!]) {
      expect(p.methodSource).toBe('provider');
      expect(p.uptime.consideredMinutes).toBe(43_200);
      expect(p.uptime.downtimeMinutes).toBe(120);
      expect(p.uptime.uptimePercent).toBeCloseTo(99.7222, 4);
      expect(p.spendUsd).toBeCloseTo(432, 6);
      expect(p.credit.creditPercent).toBe(10);
      expect(p.credit.creditUsd).toBeCloseTo(43.2, 6);
    }
    expect(a!.uptime.evidence).toHaveLength(120); // one row per bad minute
    expect(a!.uptime.evidence[0]).toMatchObject({ startMs: OUTAGE_START, endMs: OUTAGE_START + M, requests: 100, errors: 100, errorRate: 1 });
    expect(b!.uptime.evidence).toHaveLength(24); // one row per bad 5-minute interval
    expect(a!.incidents.map((i) => i.id)).toEqual(['inc_1']);
    expect(b!.incidents).toEqual([]);
    expect(isoDate(a!.claimDeadlineMs!)).toBe('2025-07-31'); // 30 days after the month's end
    expect(isoDate(b!.claimDeadlineMs!)).toBe('2025-09-01'); // the end of the second month after
  });

  it('says how much of the month was observed, and claims nothing for a month without traffic', async () => {
    const store = new SloMemoryStore();
    // dep-a: traffic on three days only (3 × 1,440 minutes), with 25% errors in its first five minutes.
    const rows: RollupRow[] = [];
    const first = Date.UTC(2025, 5, 20);
    for (let m = first; m < first + 3 * 1_440 * M; m += M) rows.push(row({ minute: m, scope: 'deployment', id: 'dep-a', outcomes: m < first + 5 * M ? { ok: 75, server_error: 25 } : { ok: 100 }, cost: 0.01 }));
    await store.addRollups(rows);
    const report = await buildSlaReport({ store, deployments, sla, month: june });
    const [a, b] = report.providers;
    expect(a!.uptime.observedMinutes).toBe(3 * 1_440);
    expect(a!.uptime.downtimeMinutes).toBe(5);
    expect(b!.uptime.observedMinutes).toBe(0);
    expect(b!.credit).toEqual({ creditPercent: undefined, creditUsd: undefined, note: 'no traffic observed this month' });
    const table = formatSlaReport(report, 'table');
    expect(table).toMatch(/Provider A \(per-minute 5% errors\)\s+published\s+99\.9%?\s+\S+\s+3 d/);
    expect(table).toMatch(/Provider B[^\n]*no data\s+none/);
    const md = formatSlaReport(report, 'md');
    expect(md).toContain('traffic in 4,320 of the 43,200 minutes considered (3 d)');
    expect(md).toContain('no traffic this month: no uptime is claimed and no credit worked out.');
  });

  it('applies different tiers when one method counts short error spikes and the other averages them away', async () => {
    // 315 isolated minutes with 20% errors, each alone in its 5-minute interval (4% over the interval).
    const spikes = new Set<number>();
    for (let i = 0, m = Date.UTC(2025, 5, 15, 0, 2); i < 315; i++, m += 5 * M) spikes.add(m);
    const store = await monthOfTraffic((m) => (spikes.has(m) ? { ok: 80, server_error: 20 } : undefined));
    const report = await buildSlaReport({ store, deployments, sla, month: june });
    const [a, b] = report.providers;
    // Per minute: 120 + 315 = 435 down minutes → 98.993% (< 99%) → 25% of $432.
    expect(a!.uptime.downtimeMinutes).toBe(435);
    expect(a!.uptime.uptimePercent).toBeCloseTo(98.99306, 4);
    expect(a!.credit).toEqual({ creditPercent: 25, creditUsd: expect.closeTo(108, 6) as number });
    // 5-minute intervals: each spike interval is at 4% ≤ 5% → only the outage → 99.722% → 10% of $432.
    expect(b!.uptime.downtimeMinutes).toBe(120);
    expect(b!.credit).toEqual({ creditPercent: 10, creditUsd: expect.closeTo(43.2, 6) as number });
  });

  it('leaves maintenance minutes out and averages error rates for an average-error-rate SLA', async () => {
    const store = await monthOfTraffic();
    await store.saveMaintenance({ id: 'mw', component: 'provider:openai-compatible', startsAt: OUTAGE_START, endsAt: OUTAGE_START + 60 * M, description: 'announced', createdBy: 'ops' });
    const averaging = slaFileSchema.parse({
      ...sla,
      slas: sla.slas.map((e) => (e.id === 'five-minute' ? { ...e, downtime: { method: 'average-error-rate', interval_minutes: 5 } } : e)),
    });
    const report = await buildSlaReport({ store, deployments, sla: averaging, month: june });
    const [a, b] = report.providers;
    expect(a!.uptime.excludedMinutes).toBe(60);
    expect(a!.uptime.downtimeMinutes).toBe(60);
    expect(a!.uptime.uptimePercent).toBeCloseTo(100 * (1 - 60 / 43_140), 9);
    // 12 intervals at 100% errors among 8,628 considered: 100% − 12/8628.
    expect(b!.uptime.uptimePercent).toBeCloseTo(100 - (100 * 12) / 8_628, 9);
  });

  it('ships provider data that validates, and reports no credit where no public SLA was found', async () => {
    const shipped = loadSlaFile();
    expect(shipped.slas.map((e) => e.id)).toEqual(['aws-bedrock', 'vertex-ai-gemini', 'azure-openai', 'openai-api', 'anthropic-api', 'gemini-api']);
    for (const e of shipped.slas) for (const s of e.sources) expect(s.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const store = await monthOfTraffic();
    const report = await buildSlaReport({
      store,
      sla: shipped,
      month: june,
      deployments: [
        { id: 'dep-a', provider: 'anthropic' },
        { id: 'dep-b', provider: 'openai-compatible', base_url: 'https://bedrock-runtime.us-east-1.amazonaws.com/openai/v1' },
      ],
    });
    const [anthropic, bedrock] = report.providers;
    expect(anthropic!.entry?.id).toBe('anthropic-api');
    expect(anthropic!.methodSource).toBe('keel-default');
    expect(anthropic!.uptime.uptimePercent).toBeCloseTo(99.7222, 4);
    expect(anthropic!.credit.creditUsd).toBeUndefined();
    expect(bedrock!.entry?.id).toBe('aws-bedrock');
    expect(bedrock!.credit).toEqual({ creditPercent: 10, creditUsd: expect.closeTo(43.2, 6) as number });
    expect(bedrock!.claimDeadlineMs).toBeUndefined(); // not read from the source: not guessed
  });
});
