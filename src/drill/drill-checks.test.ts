import { describe, expect, it } from 'vitest';
import { drillChecks, type CheckInput } from './drill-checks.js';
import type { CrossChecks, IncidentStats, PhaseStats } from './report-types.js';
import { expectSchema } from './scenario-schema.js';

function phase(name: string, p99: number | null, extra: Partial<PhaseStats> = {}): PhaseStats {
  return {
    name, scenario_start_ms: 0, scenario_end_ms: 0, wall_start_ms: 0, wall_end_ms: 0,
    sent: 100, succeeded: 100, degraded: 0, failed: 0, failed_by_type: {}, lost: 0, lost_by_reason: {}, not_sent: 0,
    availability: 1, first_attempt_success: 1, primary_direct: { sent: 0, succeeded: 0, availability: null },
    latency_ms: { p50: 100, p95: p99, p99, max: p99 }, ttft_ms: { p50: null, p95: null, p99: null, max: null },
    upstream_attempts: 105, attempts_per_request: 1.05, max_attempts_per_request: 2, served_by: {}, cost_usd: null,
    ...extra,
  };
}

function incident(extra: Partial<IncidentStats>): IncidentStats {
  return {
    deployment: 'claude', causes: [], phase: 'gray-10',
    fault_start_ms: 60_000, fault_end_ms: 190_000, scenario_fault_start_ms: 60_000, scenario_fault_end_ms: 190_000,
    time_to_detect_ms: 90_000, full_outage_start_ms: 140_000, scenario_full_outage_start_ms: 140_000, time_to_detect_full_outage_ms: 2_000,
    detected_in_phase: 'all-hang', breaker_opens: 1, breaker_closed_after_ms: 3_000, time_to_recover_ms: 4_000,
    ...extra,
  };
}

const crossChecks = { keel_requests: 100, missing_in_keel: 0, outcome_mismatches: 0, served_by_mismatches: 0 } as CrossChecks;

/** The gray-failure expectations: every figure a user of the defaults is promised. */
const grayExpect = expectSchema.parse({
  min_availability: 1, max_lost: 0, max_p99_latency_ms: 3000, max_attempts_per_request: 1.15, max_time_to_detect_ms: 5000, max_time_to_recover_ms: 10000,
});

function verdict(overrides: Partial<CheckInput> = {}): Record<string, { ok: boolean; detail: string }> {
  const phases = [phase('normal', 200), phase('all-hang', 2_400)];
  const checks = drillChecks({ expect: grayExpect, overall: phase('overall', 2_000), phases, incidents: [incident({})], crossChecks, primary: 'claude', ...overrides });
  return Object.fromEntries(checks.map((c) => [c.name, { ok: c.ok, detail: c.detail }]));
}

describe('drillChecks', () => {
  it('passes a drill that meets every expectation, one check per expectation', () => {
    const checks = verdict();
    expect(Object.keys(checks)).toEqual([
      'every request accounted for',
      'Keel saw every request',
      'clients and Keel agree',
      'availability ≥ 100%',
      'p99 latency ≤ 3.0s in every phase',
      'upstream attempts per request ≤ 1.15',
      "claude's breaker open ≤ 5.0s after it failed every request",
      'traffic back on claude ≤ 10s after it recovered',
    ]);
    for (const [name, check] of Object.entries(checks)) expect(check.ok, `${name}: ${check.detail}`).toBe(true);
  });

  it('adds no check the scenario did not ask for', () => {
    const checks = drillChecks({ expect: expectSchema.parse({}), overall: phase('overall', 30_000), phases: [phase('x', 30_000)], incidents: [], crossChecks, primary: 'claude' });
    expect(checks.map((c) => c.name)).toEqual(['every request accounted for', 'Keel saw every request', 'clients and Keel agree']);
  });

  it('fails p99 naming each phase over the limit', () => {
    const check = verdict({ phases: [phase('normal', 150), phase('gray-25', 29_800), phase('all-hang', 30_100)] })['p99 latency ≤ 3.0s in every phase']!;
    expect(check).toEqual({ ok: false, detail: 'over in gray-25 (30s), all-hang (30s)' });
  });

  it('fails retry amplification over the limit', () => {
    const check = verdict({ overall: phase('overall', 100, { upstream_attempts: 130, attempts_per_request: 1.3 }) })['upstream attempts per request ≤ 1.15']!;
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('1.300');
  });

  it('judges detection from the moment the primary failed every request, and a breaker that never opened fails', () => {
    const name = "claude's breaker open ≤ 5.0s after it failed every request";
    expect(verdict({ incidents: [incident({ time_to_detect_full_outage_ms: 71_000 })] })[name]).toEqual({ ok: false, detail: '1m11s (every request failing from 2m20s)' });
    expect(verdict({ incidents: [incident({ time_to_detect_full_outage_ms: null })] })[name]!.ok).toBe(false);
    // Slow detection of the early 10% share is not what this check judges.
    expect(verdict({ incidents: [incident({ time_to_detect_ms: 200_000 })] })[name]!.ok).toBe(true);
    // A fallback's own incident does not count.
    expect(verdict({ incidents: [incident({}), incident({ deployment: 'gpt', time_to_detect_full_outage_ms: null })] })[name]!.ok).toBe(true);
  });

  it('fails an expectation there is nothing to measure for, rather than passing it unnoticed', () => {
    const checks = verdict({ incidents: [incident({ full_outage_start_ms: null, scenario_full_outage_start_ms: null, time_to_detect_full_outage_ms: null, fault_end_ms: null, scenario_fault_end_ms: null })] });
    expect(checks["claude's breaker open ≤ 5.0s after it failed every request"]).toEqual({ ok: false, detail: 'no fault on claude hit every request: nothing to measure' });
    expect(checks['traffic back on claude ≤ 10s after it recovered']).toEqual({ ok: false, detail: 'no fault on claude ended during the drill: nothing to measure' });
  });

  it('fails recovery that was slow or never came', () => {
    const name = 'traffic back on claude ≤ 10s after it recovered';
    expect(verdict({ incidents: [incident({ time_to_recover_ms: 95_000 })] })[name]).toEqual({ ok: false, detail: '1m35s (recovered at 3m10s)' });
    expect(verdict({ incidents: [incident({ time_to_recover_ms: null })] })[name]).toEqual({ ok: false, detail: 'never back (recovered at 3m10s)' });
  });

  it('counts lost requests against the accounting check', () => {
    expect(verdict({ overall: phase('overall', 100, { succeeded: 99, lost: 1 }) })['every request accounted for']!.ok).toBe(false);
  });
});
