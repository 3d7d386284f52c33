import { describe, expect, it } from 'vitest';
import type { Incident, VendorIncident } from '../store/index.js';
import { drillChecks } from './drill-checks.js';
import { parseScenario, ScenarioError } from './load-scenario.js';
import { phaseWindows } from './timeline.js';
import { VENDOR_SOURCE, vendorLead, vendorRows, vendorSchedule, vendorSourcesConfig, type VendorLead } from './vendor-voice.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const S = 1000;

const scenario = (vendor: unknown, timeScale = 10) => ({
  name: 'vendor-test',
  duration: '10m',
  time_scale: timeScale,
  load: { rate_per_s: 1 },
  keel: {
    deployments: [
      { id: 'claude', provider: 'anthropic', model: 'sim-claude', simulated: true },
      { id: 'gpt', provider: 'openai', model: 'sim-gpt', simulated: true },
    ],
    routes: { smart: { deployments: ['claude', 'gpt'] } },
  },
  timeline: [
    { at: 0, name: 'normal' },
    { at: '2m', name: 'outage', actions: [{ set_fault: { model: 'sim-claude', type: 'error', status: 529, kind: 'overloaded' } }] },
    { at: '6m', name: 'recovery', actions: [{ clear_fault: 'sim-claude' }] },
  ],
  vendor_status: vendor,
});

describe('the vendor voice in a drill', () => {
  it('schedules each update after its phase, the delay scaled with the drill', () => {
    const loaded = parseScenario(
      scenario({ component: 'Claude API', updates: [{ after: 'outage', delay: '7m', status: 'investigating' }, { after: 'recovery', delay: '30s', status: 'resolved' }] }, 10),
      'inline',
    );
    const schedule = vendorSchedule(loaded.scenario, phaseWindows(loaded.scenario, 10), 10);
    // Outage at 2m scenario = 12 s wall; +7 min scenario = +42 s wall. Recovery 6m = 36 s, +3 s.
    expect(schedule.map((s) => [s.update.status, s.offsetMs])).toEqual([
      ['resolved', 39 * S],
      ['investigating', 54 * S],
    ]);
  });

  it('refuses an update after an unknown phase, past the end, or for an unknown deployment', () => {
    const bad = (vendor: unknown) => {
      try {
        parseScenario(scenario(vendor), 'inline');
      } catch (err) {
        return (err as ScenarioError).issues.map((i) => i.path);
      }
      return [];
    };
    expect(bad({ updates: [{ after: 'nowhere', status: 'investigating' }] })).toEqual(['vendor_status.updates[0].after']);
    expect(bad({ updates: [{ after: 'recovery', delay: '5m', status: 'investigating' }] })).toEqual(['vendor_status.updates[0].delay']);
    expect(bad({ deployments: ['nope'], updates: [{ after: 'outage', status: 'investigating' }] })).toEqual(['vendor_status.deployments[0]']);
  });

  it('makes Keel read only the simulated page, mapped to the drilled deployment', () => {
    const config = vendorSourcesConfig({ name: 'p', component: 'Claude API', updates: [] }, 'http://127.0.0.1:9', 'claude') as { enabled: boolean; sources: Record<string, { enabled?: boolean }> };
    expect(config.enabled).toBe(true);
    for (const name of ['anthropic', 'openai', 'google']) expect(config.sources[name]).toEqual({ enabled: false });
    expect(config.sources[VENDOR_SOURCE]).toEqual({ format: 'statuspage', url: 'http://127.0.0.1:9', components: [{ match: 'Claude API', deployments: ['claude'] }] });
  });

  it('measures Keel’s lead from its breaker and its incident to the vendor’s first update', () => {
    const incident: Incident = { id: 'inc', component: 'deployment:claude', title: 'Outage on claude', status: 'investigating', impact: 'major_outage', openedAt: T0 + 70 * S, impactStart: T0 + 60 * S, updates: [] };
    const vendorIncident: VendorIncident = {
      source: VENDOR_SOURCE,
      id: 'sim0001',
      title: 'Elevated errors',
      status: 'resolved',
      impact: 'major',
      components: ['Claude API'],
      deployments: ['claude'],
      startedAt: T0 + 200 * S,
      resolvedAt: T0 + 290 * S,
      firstSeenAt: T0 + 205 * S,
      lastSeenAt: T0 + 295 * S,
      updates: [{ at: T0 + 200 * S, status: 'investigating', body: '' }],
    };
    const input = {
      vendor: { name: 'page', component: 'Claude API', updates: [] },
      primary: 'claude',
      startEpochMs: T0,
      posted: [],
      breakerOpens: [{ deploymentId: 'gpt', offsetMs: 50 * S }, { deploymentId: 'claude', offsetMs: 5 * S }, { deploymentId: 'claude', offsetMs: 62 * S }],
      episodes: [{ deployment: 'claude', startMs: 60 * S }],
      incidents: [incident],
      vendorIncidents: [vendorIncident],
      deployments: [{ id: 'claude', provider: 'anthropic' }, { id: 'gpt', provider: 'openai' }],
    };
    const lead = vendorLead(input);
    expect(lead).toMatchObject({
      seen_by_keel: true,
      vendor_investigating_ms: 200 * S,
      keel_breaker_open_ms: 62 * S,
      keel_incident_opened_ms: 70 * S,
      lead_over_vendor_ms: 138 * S,
      incident_lead_ms: 130 * S,
      measured_window_ms: { start: 60 * S, end: null },
      declared_window_ms: { start: 200 * S, end: 290 * S },
    });
    expect(lead.summary).toContain("vendor 'Investigating' at T+2 min");
    expect(vendorRows(lead, (ms) => `${ms / 1000}s`)).toContainEqual(["Keel's lead (breaker)", '138s before the vendor']);
    // Without a fault episode on the vendor's deployment, Keel's first opening there still counts.
    expect(vendorLead({ ...input, episodes: [] }).keel_breaker_open_ms).toBe(5 * S);
  });

  it('fails the drill check when the vendor spoke first or Keel never read its page', () => {
    const base: VendorLead = {
      page: 'p', component: 'c', deployments: ['claude'], posted: [], seen_by_keel: true, vendor_investigating_ms: 100 * S, keel_breaker_open_ms: 40 * S, keel_incident_opened_ms: 90 * S,
      lead_over_vendor_ms: 60 * S, incident_lead_ms: 10 * S, measured_window_ms: null, declared_window_ms: null, summary: null,
    };
    const check = (vendor: VendorLead) => {
      const overall = { sent: 0, succeeded: 0, failed: 0, lost: 0, availability: 1 } as never;
      return drillChecks({ expect: { max_lost: 0 }, overall, phases: [], incidents: [], crossChecks: { missing_in_keel: 0, outcome_mismatches: 0, served_by_mismatches: 0 } as never, primary: 'claude', vendor }).at(-1)!;
    };
    expect(check(base)).toMatchObject({ ok: true, name: "Keel knew before the vendor's status page" });
    expect(check({ ...base, incident_lead_ms: -5 * S }).ok).toBe(false);
    expect(check({ ...base, lead_over_vendor_ms: null, keel_breaker_open_ms: null }).ok).toBe(false);
    expect(check({ ...base, seen_by_keel: false }).detail).toContain('stored nothing');
  });
});
