import { describe, expect, it } from 'vitest';
import { incident, vendorIncident } from '../../store/store-contract.js';
import { deploymentsOfComponent, formatDelta, twoVoices, vendorOnly, watchedDeployments } from './two-voices.js';

const M = 60_000;
const T0 = Date.UTC(2026, 2, 1, 12);
const watched = new Set(['claude-direct']);

describe('two voices', () => {
  it("says when Keel detected and when the vendor said 'Investigating', with both windows", () => {
    const keel = incident('i1', T0, { impactStart: T0 - 2 * M, impactEnd: T0 + 30 * M, resolvedAt: T0 + 40 * M, status: 'resolved' });
    const vendor = vendorIncident('v1', T0 + 12 * M, { resolvedAt: T0 + 50 * M, updates: [{ at: T0 + 12 * M, status: 'investigating', body: 'Looking' }, { at: T0 + 50 * M, status: 'resolved', body: 'Done' }] });
    const v = twoVoices(keel, ['claude-direct'], [vendor, vendorIncident('other', T0, { deployments: ['gpt-direct'] })], watched);
    expect(v.summary).toBe("detected by Keel at 2026-03-01T12:00:00Z, vendor 'Investigating' at T+12 min (2026-03-01T12:12:00Z)");
    expect(v.measured).toEqual({ startMs: T0 - 2 * M, endMs: T0 + 30 * M });
    expect(v.vendor).toHaveLength(1);
    expect(v.vendor[0]).toMatchObject({ id: 'v1', leadMs: 12 * M, declared: { startMs: T0 + 12 * M, endMs: T0 + 50 * M } });
    expect(v.disagreement).toBeUndefined();
  });

  it('flags a vendor silent while Keel measured an outage, only where a vendor page is read', () => {
    const keel = incident('i1', T0);
    const far = vendorIncident('v-old', T0 - 5 * 60 * M, { resolvedAt: T0 - 4 * 60 * M });
    expect(twoVoices(keel, ['claude-direct'], [far], watched).disagreement).toBe('vendor_silent');
    expect(twoVoices(keel, ['claude-direct'], [far], new Set()).disagreement).toBeUndefined();
    expect(twoVoices(keel, ['claude-direct'], [far], new Set()).summary).toMatch(/no vendor status page is read for claude-direct/);
  });

  it('finds vendor incidents Keel never measured (the reverse disagreement)', () => {
    const keel = incident('i1', T0);
    const matched = vendorIncident('v1', T0 + 5 * M);
    const unmatched = vendorIncident('v2', T0 - 5 * 60 * M, { resolvedAt: T0 - 4 * 60 * M });
    const noImpact = vendorIncident('v3', T0 - 5 * 60 * M, { impact: 'none' });
    expect(vendorOnly([matched, unmatched, noImpact], [{ incident: keel, affected: ['claude-direct'] }]).map((v) => v.id)).toEqual(['v2']);
  });

  it('formats deltas and resolves components to deployments', () => {
    expect([formatDelta(40_000), formatDelta(-7 * M), formatDelta(65 * M), formatDelta(120 * M)]).toEqual(['40 s', '7 min', '1 h 5 min', '2 h']);
    const deployments = [{ id: 'a', provider: 'anthropic' }, { id: 'b', provider: 'anthropic' }, { id: 'c', provider: 'openai' }];
    expect(deploymentsOfComponent('provider:anthropic', deployments).map((d) => d.id)).toEqual(['a', 'b']);
    expect(deploymentsOfComponent('deployment:c', deployments).map((d) => d.id)).toEqual(['c']);
    expect(deploymentsOfComponent('keel', deployments)).toEqual([]);
    expect([...watchedDeployments([{ components: [{ deployments: ['a'] }, { deployments: ['c', 'a'] }] }])]).toEqual(['a', 'c']);
  });
});
