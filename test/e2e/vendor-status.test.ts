/**
 * End to end: a real Keel reading a fake Statuspage on loopback (the default vendor URLs are overridden or
 * turned off: no traffic leaves 127.0.0.1). A vendor page that hangs costs requests nothing and is
 * logged once; an outage Keel detects from traffic carries the vendor's incident once the fake vendor
 * posts it, on the status page, its incidents JSON, the postmortem and the SLA report.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeStatuspage, type FakeStatuspage } from '../../src/health/vendor/__fixtures__/fake-statuspage.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { buildPostmortem } from '../../src/slo/postmortem.js';
import { renderPostmortem } from '../../src/slo/postmortem-markdown.js';
import { formatSlaReport } from '../../src/slo/sla-format.js';
import { buildSlaReport } from '../../src/slo/sla-report.js';
import { loadSlaFile } from '../../src/slo/sla-schema.js';
import { monthOf } from '../../src/slo/month.js';
import { silentLogger } from '../support/silent-logger.js';

let page: FakeStatuspage;
let keel: RunningKeel;
let lines: string[];

const FAST_DETECTOR = {
  resilience: { breaker: { consecutive_failures: 3, open_ms: 500, max_open_ms: 1000 }, adaptive_throttle: { enabled: false } },
  health: {
    windows: { bucket_ms: 250, short_window_ms: 2000, long_window_ms: 4000, min_attempts_short: 3, min_attempts_long: 3 },
    incidents: { evaluate_every_ms: 200, open_after_ms: 1000, identify_after_ms: 500, monitor_after_ms: 1000, resolve_after_ms: 2000, reopen_after_ms: 1000 },
  },
};

async function start(extra: Record<string, unknown> = {}, more: Record<string, unknown> = {}): Promise<RunningKeel> {
  return startKeel({
    port: 0,
    logger: silentLogger(lines),
    config: {
      ...more,
      simulator: { token_delay_ms: 0 },
      deployments: [
        { id: 'primary', provider: 'anthropic', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai', model: 'sim-fallback', simulated: true },
      ],
      routes: { smart: { deployments: ['primary', 'fallback'] } },
      status_sources: { enabled: true, timeout_ms: 1_000, sources: { anthropic: { url: page.url }, openai: { enabled: false } }, ...extra },
    },
  });
}

const ask = (): Promise<Response> =>
  fetch(`${keel.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
  });

beforeEach(async () => {
  page = await startFakeStatuspage();
  lines = [];
});
afterEach(async () => {
  await keel.stop();
  await page.close();
});

describe('vendor status pages', () => {
  it('answers every request while the vendor page hangs, and logs the problem once', async () => {
    page.mode = 'hang';
    keel = await start();
    const answers = await Promise.all([ask(), ask(), ask(), ask()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.headers.get('x-keel-deployment'))).toEqual(['primary', 'primary', 'primary', 'primary']);
    await keel.services.vendorStatus!.pollDue(); // the first poll, timing out after 1 s
    await keel.services.vendorStatus!.pollDue(); // backing off: nothing fetched, nothing logged
    const problems = lines.filter((l) => l.includes('unreadable'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('vendor status page \\"anthropic\\" unreadable: did not answer within 1000 ms');
    expect(page.requests.map((r) => r.path)).toEqual(['/api/v2/summary.json']);
    expect((await ask()).status).toBe(200);
  });

  it('shows one timeline in two voices: detected by Keel at T, vendor Investigating at T+7 min, both windows, and a vendor-only incident', async () => {
    page.components = [{ name: 'Claude API', status: 'operational' }];
    keel = await start({}, FAST_DETECTOR);
    keel.simulator!.setFault('sim-primary', { type: 'error', status: 529 });
    const deadline = Date.now() + 15_000;
    while ((await keel.store.listIncidents({ openOnly: true })).length === 0 && Date.now() < deadline) {
      const res = await ask();
      expect(res.status).toBe(200); // the fallback answers throughout
      await res.arrayBuffer();
    }
    const [opened] = await keel.store.listIncidents({ openOnly: true });
    expect(opened).toMatchObject({ component: 'deployment:primary' });
    const T = opened!.openedAt;

    // The vendor posts, 7 minutes after Keel knew (its clock, not ours: deterministic), and an older
    // incident Keel's traffic never showed.
    page.incidents = [
      { id: 'vend-1', name: 'Elevated errors on Claude API', impact: 'major', components: ['Claude API'], updates: [{ status: 'investigating', body: 'We are investigating elevated errors.', at: T + 7 * 60_000 }] },
      { id: 'vend-old', name: 'Degraded Claude API', impact: 'minor', components: ['Claude API'], updates: [{ status: 'investigating', body: 'Slow.', at: T - 3 * 3_600_000 }, { status: 'resolved', body: 'Fine.', at: T - 2.5 * 3_600_000 }], resolvedAt: T - 2.5 * 3_600_000 },
    ];
    page.components = [{ name: 'Claude API', status: 'major_outage' }];
    page.changed();
    await keel.services.vendorStatus!.pollAll();
    expect(keel.services.vendorStatus!.outageOf('primary')).toMatchObject({ source: 'anthropic', component: 'Claude API' });

    const lead = "vendor 'Investigating' at T+7 min";
    const json = (await (await fetch(`${keel.url}/status/incidents.json`)).json()) as { incidents: { id: string; keel_vendor?: Record<string, unknown> & { vendor_incidents: Record<string, unknown>[] } }[] };
    const voiced = json.incidents.find((i) => i.id === opened!.id)!.keel_vendor!;
    expect(voiced['summary']).toContain(lead);
    expect(voiced['disagreement']).toBeNull();
    expect(voiced['detected_by_keel_at']).toBe(new Date(T).toISOString());
    expect(voiced.vendor_incidents).toHaveLength(1);
    expect(voiced.vendor_incidents[0]).toMatchObject({ id: 'vend-1', acknowledged_as: 'investigating', keel_lead_seconds: 420, declared_window: { start: new Date(T + 7 * 60_000).toISOString(), end: null } });
    expect(await (await fetch(`${keel.url}/status`)).text()).toContain('vendor &#39;Investigating&#39; at T+7 min');

    const config = { deployments: [...keel.config.deployments.values()].map((d) => ({ id: d.id, provider: d.provider })), routes: { smart: ['primary', 'fallback'] } };
    const watched = keel.services.vendorStatus!.watched;
    const pm = await buildPostmortem({ store: keel.store, incidentId: opened!.id, deployments: config.deployments, routes: config.routes, nowMs: Date.now(), vendorWatched: watched });
    const markdown = renderPostmortem(pm, Date.now());
    expect(markdown).toContain("## The vendor's voice");
    expect(markdown).toContain(lead);
    expect(markdown).toMatch(/declared window \(vendor\): .* → ongoing; Keel knew 7 min earlier/);
    expect(markdown).toMatch(/Measured impact window \(Keel\): /);

    const report = await buildSlaReport({ store: keel.store, deployments: config.deployments, sla: loadSlaFile(), month: monthOf(T), vendorWatched: watched });
    const md = formatSlaReport(report, 'md');
    expect(md).toContain(lead);
    expect(md).toContain('Disagreement — declared by the vendor, not measured by Keel');
    expect(md).toContain('vend-old');
  });

  const served = async (): Promise<string | null> => {
    const res = await ask();
    await res.arrayBuffer();
    return res.status === 200 ? res.headers.get('x-keel-deployment') : `status ${res.status}`;
  };

  for (const [mode, expected] of [['annotate', 'primary'], ['demote', 'fallback'], ['open', 'fallback']] as const) {
    it(`a vendor-declared major outage with on_major_outage: ${mode} sends the first attempt to ${expected}`, async () => {
      page.components = [{ name: 'Claude API', status: 'major_outage' }];
      keel = await start({ on_major_outage: mode });
      await keel.services.vendorStatus!.pollAll();
      expect(await served()).toBe(expected);
      expect(lines.some((l) => l.includes('vendor-declared major outage on: primary (anthropic: Claude API)'))).toBe(true);
    });
  }

  it('demote still reaches the demoted deployment when the others fail; the vendor never closes a breaker', async () => {
    page.components = [{ name: 'Claude API', status: 'major_outage' }];
    keel = await start({ on_major_outage: 'demote' });
    await keel.services.vendorStatus!.pollAll();
    keel.gateway.router.forceBreaker('fallback', 'open');
    expect(await served()).toBe('primary');

    keel.gateway.router.forceBreaker('primary', 'open');
    page.components = [{ name: 'Claude API', status: 'operational' }];
    page.changed();
    await keel.services.vendorStatus!.pollAll();
    expect(keel.services.vendorStatus!.outages()).toEqual([]);
    expect(keel.gateway.router.breakerState('primary')).toMatchObject({ state: { state: 'forced_open' } });
  });
});