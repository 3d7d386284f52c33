/**
 * End to end: a drill whose provider also has a (simulated) status page. The page says "Investigating"
 * some seconds after the primary starts failing; Keel reads it with its real status-page poller (through
 * the drill's `status_sources`, not any real vendor), and the report — JSON, table and HTML — shows when
 * Keel knew (its breaker, its incident) against when the vendor said so, and both windows. About 30 s of
 * wall time: the poller reads a page at most every 10 s.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, parseScenario, renderReportHtml, renderReportTable, runDrill } from '../../src/drill/index.js';

const scenario = {
  name: 'vendor-lag',
  description: 'The primary fails; its status page admits it 13 s later.',
  duration: '28s',
  time_scale: 1,
  seed: 5,
  load: { rate_per_s: 20, stream_share: 0.3, max_tokens: 8, client_timeout_ms: 10_000, direct_probe_rate_per_s: 2, direct_probe_timeout_ms: 1_000 },
  keel: {
    simulator: { token_delay_ms: 1 },
    // This drill is about the two voices: Keel's health windows and detector are compressed (1 s buckets,
    // an incident after 2 s of failure) so its incident opens within the drill's seconds.
    health: { windows: { bucket_ms: 1_000, short_window_ms: 5_000, long_window_ms: 20_000 }, incidents: { evaluate_every_ms: 500, open_after_ms: 2_000 } },
    deployments: [
      { id: 'claude', provider: 'anthropic', model: 'sim-claude', simulated: true },
      { id: 'gpt', provider: 'openai', model: 'sim-gpt', simulated: true },
    ],
    routes: { smart: { deployments: ['claude', 'gpt'] } },
  },
  timeline: [
    { at: 0, name: 'normal' },
    { at: '3s', name: 'outage', actions: [{ set_fault: { model: 'sim-claude', type: 'error', status: 529, kind: 'overloaded' } }] },
    { at: '20s', name: 'recovery', actions: [{ clear_fault: 'sim-claude' }] },
  ],
  vendor_status: {
    name: 'Anthropic status (simulated)',
    component: 'Claude API',
    updates: [
      { after: 'outage', delay: '13s', status: 'investigating', message: 'We are investigating elevated errors.' },
      { after: 'recovery', delay: '2s', status: 'resolved' },
    ],
  },
};

describe('drill with a simulated vendor status page', () => {
  it("reports Keel's lead over the vendor, read through Keel's own poller", async () => {
    const loaded = parseScenario(scenario, 'inline vendor-lag');
    const run = await runDrill(loaded);
    const report = buildReport(run);
    const vendor = report.vendor!;
    expect(vendor.posted.map((p) => p.status)).toEqual(['investigating', 'resolved']);
    expect(vendor.seen_by_keel).toBe(true);
    // The vendor's first update came ~16 s in (the page's own timestamp, read back from what Keel stored).
    expect(vendor.vendor_investigating_ms).toBeGreaterThan(15_000);
    expect(vendor.vendor_investigating_ms).toBeLessThan(19_000);
    expect(vendor.keel_breaker_open_ms).toBeGreaterThanOrEqual(3_000);
    expect(vendor.lead_over_vendor_ms).toBeGreaterThan(0);
    expect(vendor.keel_incident_opened_ms).not.toBeNull();
    expect(vendor.incident_lead_ms).toBeGreaterThan(0);
    expect(vendor.declared_window_ms).toMatchObject({ start: vendor.vendor_investigating_ms });
    expect(vendor.declared_window_ms!.end).toBeGreaterThan(21_000);
    expect(vendor.measured_window_ms!.start).toBeLessThan(vendor.vendor_investigating_ms!);
    expect(vendor.summary).toMatch(/detected by Keel at .*, vendor 'Investigating' at T\+\d+ s/);
    expect(report.checks.find((c) => c.name === "Keel knew before the vendor's status page")).toMatchObject({ ok: true });

    const table = renderReportTable(report);
    expect(table).toContain("The vendor's word (Anthropic status (simulated)");
    expect(table).toMatch(/Keel's lead \(breaker\)\s+[\d.]+m?s before the vendor/);
    expect(renderReportHtml(report)).toContain("<h2>The vendor's word</h2>");
  }, 60_000);
});
