/**
 * The built-in `gray-failure` drill (issue 14's acceptance): it must be judged on Keel's defaults at time
 * scale 1, so its shape is checked here — phases, faults, load, expectations, and no tuning of Keel's
 * timers — rather than run for five minutes. A compressed replay (about five seconds, clients patient for
 * two) then checks only that its report carries the figures the acceptance is read from: per phase
 * p50/p99/max latency, time to detect and time back on the primary, and the new checks. Its numbers are
 * not judged: at 60x, Keel's unscaled timers make them meaningless.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_DIR } from '../../src/drill/built-in-scenarios.js';
import { buildReport, builtInScenarioNames, loadScenario, parseScenario, runDrill, type DrillReport } from '../../src/drill/index.js';

const FILE = join(BUILT_IN_DIR, 'gray-failure.yaml');
const raw = (): Record<string, unknown> => parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>;

describe('the gray-failure scenario', () => {
  const loaded = loadScenario('gray-failure');
  const { scenario } = loaded;

  it('runs in real time, in four to five minutes', () => {
    expect(builtInScenarioNames()).toContain('gray-failure');
    expect(scenario.time_scale).toBe(1);
    expect(scenario.duration).toBeGreaterThanOrEqual(4 * 60_000);
    expect(scenario.duration).toBeLessThanOrEqual(5 * 60_000);
  });

  it('learns first, then grows a mixed gray fault on the primary, then hangs it entirely, then recovers', () => {
    const phases = scenario.timeline.map((p, i) => ({ name: p.name, seconds: ((scenario.timeline[i + 1]?.at ?? scenario.duration) - p.at) / 1000, fault: p.actions[0]?.set_fault, clear: p.actions[0]?.clear_fault }));
    expect(phases.map((p) => p.name)).toEqual(['normal', 'gray-10', 'gray-25', 'gray-40', 'all-hang', 'recovered']);
    expect(phases[0]!.seconds).toBeGreaterThanOrEqual(60);
    const gray = phases.slice(1, 4);
    expect(gray.map((p) => p.fault?.['rate'])).toEqual([0.1, 0.25, 0.4]);
    for (const p of gray) {
      expect(p.seconds).toBeGreaterThanOrEqual(30);
      expect(p.fault).toMatchObject({ model: 'sim-claude', type: 'mix' });
      expect((p.fault!['faults'] as { type: string }[]).map((f) => f.type).sort()).toEqual(['hang', 'reset', 'stream_stall']);
    }
    expect(phases[4]!.fault).toEqual({ model: 'sim-claude', type: 'hang' });
    expect(phases[4]!.seconds).toBeGreaterThanOrEqual(45);
    expect(phases[5]!.clear).toBe('sim-claude');
    expect(phases[5]!.seconds).toBeGreaterThanOrEqual(45);
  });

  it('puts an Anthropic-format primary before a healthy fallback serving the same model elsewhere', () => {
    expect(loaded.primary).toBe('claude');
    expect(loaded.keel.deployments.map((d) => [d.id, d.provider, d.model])).toEqual([['claude', 'anthropic', 'sim-claude'], ['claude-b', 'anthropic', 'sim-claude-b']]);
    const faulted = scenario.timeline.flatMap((p) => p.actions.map((a) => a.set_fault?.model ?? a.clear_fault));
    expect(new Set(faulted)).toEqual(new Set(['sim-claude']));
  });

  it("leaves Keel's timeouts, retries and breaker at their defaults", () => {
    const keel = raw()['keel'] as Record<string, unknown>;
    expect(Object.keys(keel).sort()).toEqual(['deployments', 'routes', 'simulator']);
    const routes = keel['routes'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(routes['smart']!)).toEqual(['deployments']);
  });

  it('sends half-streamed OpenAI and Anthropic traffic from clients with a 30 s deadline', () => {
    expect(scenario.load).toMatchObject({ rate_per_s: 10, stream_share: 0.5, clients: { openai: 1, anthropic: 1 }, client_timeout_ms: 30_000 });
    expect(scenario.load.max_tokens).toBeLessThanOrEqual(32);
  });

  it("expects what issue 14 promises: every request answered quickly, few extra attempts, fast detection and return", () => {
    expect(scenario.expect).toEqual({
      min_availability: 1,
      max_lost: 0,
      max_p99_latency_ms: 3000,
      max_attempts_per_request: 1.15,
      max_time_to_detect_ms: 5000,
      max_time_to_recover_ms: 10000,
    });
  });
});

describe('scenarios that run in real time', () => {
  it("leave Keel's resilience settings and route timeouts and retries untuned", () => {
    const realTime = builtInScenarioNames().filter((name) => loadScenario(name).scenario.time_scale === 1);
    expect(realTime).toEqual(expect.arrayContaining(['gray-failure', 'silent-hang']));
    for (const name of realTime) {
      const keel = (parse(readFileSync(join(BUILT_IN_DIR, `${name}.yaml`), 'utf8')) as { keel: Record<string, unknown> }).keel;
      expect(keel, name).not.toHaveProperty('resilience');
      for (const route of Object.values(keel['routes'] as Record<string, Record<string, unknown>>)) {
        expect(route, name).not.toHaveProperty('timeouts');
        expect(route, name).not.toHaveProperty('retry');
      }
    }
  });
});

describe('a compressed gray-failure replay', () => {
  let report: DrillReport;

  beforeAll(async () => {
    const doc = raw();
    // Patient clients would keep the drill waiting 30 s on hung requests after the timeline ends.
    doc['load'] = { ...(doc['load'] as object), client_timeout_ms: 2_000, direct_probe_timeout_ms: 1_000 };
    report = buildReport(await runDrill(parseScenario(doc, 'gray-failure (compressed)'), { timeScale: 60 }));
  }, 60_000);

  it('reports p50, p99 and max latency for every phase', () => {
    expect(report.phases.map((p) => p.name)).toEqual(['normal', 'gray-10', 'gray-25', 'gray-40', 'all-hang', 'recovered']);
    for (const p of report.phases) {
      expect(p.latency_ms.max, p.name).not.toBeNull();
      expect(p.latency_ms.max!, p.name).toBeGreaterThanOrEqual(p.latency_ms.p99!);
      expect(p.latency_ms.p99!, p.name).toBeGreaterThanOrEqual(p.latency_ms.p50!);
    }
  });

  it('times detection from the gray start and from the full outage, and the return to the primary', () => {
    const incident = report.incidents.find((i) => i.deployment === 'claude')!;
    expect(incident.causes[0]).toBe('mix of hang / stream_stall afterTokens=2 / reset for 10% of requests');
    // Measured when the actions took effect, a moment around their phase's start (40 s of scenario time apart).
    expect(Math.abs(incident.scenario_full_outage_start_ms! - 180_000)).toBeLessThan(20_000);
    expect(Math.abs(incident.scenario_fault_end_ms! - 230_000)).toBeLessThan(20_000);
    const phase = (name: string) => report.phases.find((p) => p.name === name)!;
    expect(phase('gray-10')).toHaveProperty('time_to_detect_ms');
    expect(phase('all-hang')).toHaveProperty('time_to_detect_ms', incident.time_to_detect_full_outage_ms);
    expect(phase('recovered')).toHaveProperty('time_back_on_primary_ms', incident.time_to_recover_ms);
    expect(phase('normal')).not.toHaveProperty('time_to_detect_ms');
  });

  it('drew every kind of fault of the mix, as the simulator counted them', () => {
    const applied = report.cross_checks.simulator_faults_applied;
    expect(applied['hang'] ?? 0).toBeGreaterThan(0);
    expect((applied['reset'] ?? 0) + (applied['stream_stall'] ?? 0)).toBeGreaterThan(0);
    expect(Object.keys(applied).every((type) => ['hang', 'reset', 'stream_stall'].includes(type))).toBe(true);
  });

  it("judges the scenario's expectations, each as a named check", () => {
    const names = report.checks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining([
      'availability ≥ 100%',
      'p99 latency ≤ 3.0s in every phase',
      'upstream attempts per request ≤ 1.15',
      "claude's breaker open ≤ 5.0s after it failed every request",
      'traffic back on claude ≤ 10s after it recovered',
    ]));
  });
});
