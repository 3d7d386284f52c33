/**
 * End to end: `keel drill` against a real Keel and the real simulator. A short inline scenario (about five
 * seconds of wall time: an hour of scenario time at 720x) checks the accounting invariant (every request
 * sent ends as a success or a clean error, nothing lost) and the direction of the results: Keel keeps
 * clients answered while the primary fails, its breaker opens during the fault, retries stay bounded,
 * traffic returns once the primary recovers. Absolute speeds are never asserted: CI machines are slow.
 * Then every built-in scenario must parse, a broken one must be reported with its path and line, and the
 * HTML report must open in headless Chromium with its charts drawn.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReport, builtInScenarioNames, loadScenario, parseScenario, runDrill, ScenarioError, writeReports, type DrillReport } from '../../src/drill/index.js';
import { launchChromium } from '../support/test-services.js';

const OUTPUT_DIR = resolve('test-output', 'drill');

const scenario = {
  name: 'test-outage',
  description: 'The primary overloads, then refuses connections, then recovers; the fallback stays up.',
  duration: '60m',
  time_scale: 720, // an hour in five seconds
  seed: 3,
  load: {
    rate_per_s: 40,
    stream_share: 0.5,
    clients: { openai: 1, anthropic: 1 },
    max_tokens: 16,
    client_timeout_ms: 10_000,
    direct_probe_rate_per_s: 10,
    direct_probe_timeout_ms: 1_000,
  },
  keel: {
    simulator: { token_delay_ms: 1 },
    resilience: {
      breaker: { consecutive_failures: 3, window_ms: 2_000, open_ms: 300, max_open_ms: 600 },
      retry_budget: { window_ms: 2_000 },
      adaptive_throttle: { window_ms: 3_000 },
    },
    deployments: [
      { id: 'claude', provider: 'anthropic', model: 'sim-claude', simulated: true, price: { input_per_mtok: 3, output_per_mtok: 15 } },
      { id: 'gpt', provider: 'openai', model: 'sim-gpt', simulated: true, price: { input_per_mtok: 2, output_per_mtok: 8 } },
    ],
    routes: {
      smart: {
        deployments: ['claude', 'gpt'],
        timeouts: { connect_ms: 500, ttft_ms: 500, idle_ms: 500, total_ms: 5_000 },
        retry: { backoff_base_ms: 20, backoff_cap_ms: 100, max_retry_after_ms: 200 },
      },
    },
  },
  timeline: [
    { at: 0, name: 'normal' },
    { at: '12m', name: 'overloaded', actions: [{ set_fault: { model: 'sim-claude', type: 'error', status: 529, kind: 'overloaded' } }] },
    { at: '30m', name: 'refused', actions: [{ clear_fault: 'sim-claude' }, { stop_listening: 'claude' }] },
    { at: '42m', name: 'recovery', actions: [{ resume_listening: 'claude' }] },
  ],
};

let report: DrillReport;
let htmlPath: string;

describe('a short drill', () => {
  beforeAll(async () => {
    const run = await runDrill(parseScenario(scenario, 'inline test scenario'));
    report = buildReport(run);
    htmlPath = writeReports(report, OUTPUT_DIR).html;
  }, 60_000);

  const phase = (name: string) => report.phases.find((p) => p.name === name)!;

  it('accounts for every request: sent = succeeded + failed, nothing lost', () => {
    const o = report.overall;
    expect(o.sent).toBeGreaterThan(100);
    expect(o.lost).toBe(0);
    expect(o.sent).toBe(o.succeeded + o.failed);
    for (const p of report.phases) expect(p.sent).toBe(p.succeeded + p.failed + p.lost);
    expect(report.phases.reduce((n, p) => n + p.sent, 0)).toBe(o.sent);
    expect(report.checks.find((c) => c.name === 'every request accounted for')?.ok).toBe(true);
  });

  it('keeps clients answered while the primary fails, better than calling it directly', () => {
    const o = report.overall;
    expect(o.availability!).toBeGreaterThanOrEqual(0.97);
    expect(o.availability!).toBeGreaterThan(o.primary_direct.availability!);
    expect(o.availability!).toBeGreaterThanOrEqual(o.first_attempt_success!);
    for (const name of ['overloaded', 'refused']) {
      const p = phase(name);
      expect(p.primary_direct.availability!).toBeLessThan(0.2);
      expect(p.availability!).toBeGreaterThan(0.9);
      expect(p.served_by['gpt'] ?? 0).toBeGreaterThan(0);
    }
    // Mostly, not all: requests sent just before a phase change may meet the next phase's fault.
    expect(phase('normal').served_by['claude']!).toBeGreaterThanOrEqual(0.8 * phase('normal').succeeded);
    expect(phase('normal').first_attempt_success!).toBeGreaterThanOrEqual(0.8);
  });

  it('opens the primary breaker during the fault and brings traffic back after it', () => {
    const incident = report.incidents.find((i) => i.deployment === 'claude')!;
    expect(incident).toBeDefined();
    expect(incident.time_to_detect_ms).not.toBeNull();
    expect(['overloaded', 'refused']).toContain(incident.detected_in_phase);
    expect(incident.breaker_opens).toBeGreaterThan(0);
    expect(incident.time_to_recover_ms).not.toBeNull();
    expect(phase('recovery').served_by['claude'] ?? 0).toBeGreaterThan(0);
    expect(report.deployments.find((d) => d.id === 'claude')!.breaker_opens).toBeGreaterThan(0);
  });

  it('keeps upstream attempts per request bounded (retry amplification)', () => {
    expect(report.overall.attempts_per_request!).toBeLessThan(2);
    expect(report.overall.max_attempts_per_request).toBeLessThanOrEqual(5);
    expect(phase('normal').attempts_per_request!).toBeLessThan(1.3);
    expect(phase('overloaded').attempts_per_request!).toBeGreaterThan(phase('recovery').attempts_per_request!);
  });

  it("agrees with Keel's own events and the simulator's counts", () => {
    const c = report.cross_checks;
    expect(c.missing_in_keel).toBe(0);
    expect(c.outcome_mismatches).toBe(0);
    expect(c.served_by_mismatches).toBe(0);
    expect(c.keel_attempts_refused).toBeGreaterThan(0);
    expect(Math.abs(c.simulator_requests - c.simulator_expected)).toBeLessThanOrEqual(Math.max(2, c.simulator_expected * 0.02));
  });

  it('prices the failover and states the time scale', () => {
    expect(report.overall.cost_usd).not.toBeNull();
    expect(report.overall.cost_usd!.actual).toBeGreaterThan(0);
    expect(report.scenario.time_scale).toBe(720);
    expect(report.notes[0]).toContain('720×');
    const json = JSON.parse(readFileSync(join(OUTPUT_DIR, 'report.json'), 'utf8')) as DrillReport;
    expect(json.overall.sent).toBe(report.overall.sent);
  });
});

describe('scenario files', () => {
  it('ships every built-in scenario, and each one parses', () => {
    const names = builtInScenarioNames();
    for (const name of ['claude-outage', 'capacity-crunch', 'brownout', 'silent-hang', 'stream-cuts', 'flapping', 'regional', 'total-outage']) expect(names).toContain(name);
    for (const name of names) {
      const loaded = loadScenario(name);
      expect(loaded.scenario.name).toBe(name);
      expect(loaded.scenario.timeline.length).toBeGreaterThan(1);
    }
  });

  it('runs claude-outage in real time on Keel’s defaults, in about five minutes', () => {
    const { scenario: s, keel } = loadScenario('claude-outage');
    expect(s.time_scale).toBe(1);
    const wallMs = s.duration / s.time_scale;
    expect(wallMs).toBeGreaterThanOrEqual(240_000);
    expect(wallMs).toBeLessThanOrEqual(360_000);
    expect(keel.resilience).toEqual({});
    for (const route of Object.values(keel.routes)) expect(Object.keys(route).filter((k) => k === 'timeouts' || k === 'retry')).toEqual([]);
    expect(s.expect).toMatchObject({ max_time_to_detect_ms: 5_000, max_time_to_recover_ms: 10_000 });
  });

  it('reports every problem of a broken scenario with its path and line', () => {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    const file = join(OUTPUT_DIR, 'broken.yaml');
    writeFileSync(
      file,
      [
        'name: broken',
        'duration: 2 hours',
        'load: { rate_per_s: 5, stream_shar: 0.5 }',
        'keel:',
        '  deployments: [{ id: a, provider: openai, model: sim-a, simulated: true }]',
        '  routes: { smart: { deployments: [a] } }',
        'timeline:',
        '  - { at: 0, name: start }',
        '  - at: 10m',
        '    name: fault',
        '    actions:',
        '      - set_fault: { model: sim-a, type: error }',
        '',
      ].join('\n'),
    );
    const err = (() => {
      try {
        loadScenario(file);
      } catch (e) {
        return e;
      }
      return undefined;
    })() as ScenarioError;
    expect(err).toBeInstanceOf(ScenarioError);
    expect(err.message).toMatch(/broken\.yaml:2:\d+ duration: expected a duration like 2h30m/);
    expect(err.message).toMatch(/broken\.yaml:3:\d+ load\.stream_shar: unknown key/);
    expect(err.message).toMatch(/broken\.yaml:12:\d+ timeline\[1\]\.actions\[0\]\.set_fault: field status must be/);
  });

  it('rejects a cross-reference to a deployment or model that does not exist', () => {
    const bad = { ...scenario, timeline: [{ at: 0, name: 'start' }, { at: '1m', name: 'x', actions: [{ stop_listening: 'nope' }, { clear_fault: 'sim-nope' }] }] };
    expect(() => parseScenario(bad, 'inline')).toThrow(/timeline\[1\]\.actions\[0\]\.stop_listening: expected a deployment id[\s\S]*timeline\[1\]\.actions\[1\]\.clear_fault: expected a simulated model/);
  });
});

describe('the HTML report', () => {
  it('opens in headless Chromium with its charts drawn', async () => {
    expect(htmlPath, 'the drill above must have written the report').toBeDefined();
    const html = readFileSync(htmlPath, 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i); // self-contained: nothing to fetch
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => void requests.push(r.url()));
      await page.goto(pathToFileURL(htmlPath).href);
      expect(await page.title()).toBe('Keel drill: test-outage');
      const charts = await page.$$eval('svg[data-chart]', (svgs) =>
        svgs.map((svg) => ({
          id: svg.getAttribute('data-chart'),
          width: svg.getBoundingClientRect().width,
          series: [...svg.querySelectorAll('path.series')].map((p) => ({ name: p.getAttribute('data-series'), points: Number(p.getAttribute('data-points')), length: (p.getAttribute('d') ?? '').length })),
        })),
      );
      expect(charts.map((c) => c.id)).toEqual(['success-rate', 'latency', 'deployment-share']);
      for (const chart of charts) {
        expect(chart.width).toBeGreaterThan(300);
        expect(chart.series.some((s) => s.points > 0 && s.length > 0)).toBe(true);
      }
      const shares = charts.find((c) => c.id === 'deployment-share')!.series;
      expect(shares.find((s) => s.name === 'claude')!.points).toBeGreaterThan(0);
      expect(shares.find((s) => s.name === 'gpt')!.points).toBeGreaterThan(0);
      expect(requests.every((url) => url.startsWith('file://'))).toBe(true);
      await page.screenshot({ path: join(OUTPUT_DIR, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
