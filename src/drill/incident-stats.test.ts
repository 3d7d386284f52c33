import { describe, expect, it } from 'vitest';
import type { FaultEpisode } from './fault-episodes.js';
import { incidentStats, primaryTimesByPhase, type IncidentInput } from './incident-stats.js';
import type { LoadRecord } from './load-generator.js';
import type { PhaseWindow } from './timeline.js';

// The gray-failure shape at time scale 1: a growing share of requests fails, then all, then none.
const phases: PhaseWindow[] = [
  ['normal', 0], ['gray-10', 60_000], ['gray-40', 100_000], ['all-hang', 140_000], ['recovered', 190_000],
].map(([name, startMs], i, all) => ({
  name: name as string,
  description: undefined,
  startMs: startMs as number,
  endMs: (all[i + 1]?.[1] as number | undefined) ?? 250_000,
  scenarioStartMs: startMs as number,
  scenarioEndMs: (all[i + 1]?.[1] as number | undefined) ?? 250_000,
}));

// Actions land a moment after their phase begins, or (timers firing early) a fraction of a ms before.
const episode: FaultEpisode = { deployment: 'claude', startMs: 59_999.6, endMs: 190_002, fullStartMs: 140_004, causes: ['mix', 'hang'] };

type Breaker = IncidentInput['breakers'][number];
const breaker = (to: 'open' | 'half_open' | 'closed', offsetMs: number): Breaker =>
  ({ deploymentId: 'claude', from: 'closed', to, atMs: offsetMs, offsetMs, reason: 'failures' }) as unknown as Breaker;

const answered = (offsetMs: number, deployment: string): LoadRecord => ({
  id: `r${offsetMs}`, offsetMs, format: 'openai', stream: false,
  observation: { verdict: { kind: 'ok' }, status: 200, latencyMs: 100, ttftMs: undefined, deployment, attempts: 1, degraded: undefined },
});

const records = [answered(190_500, 'gpt'), answered(196_000, 'claude'), answered(197_000, 'claude')];

function stats(breakers: Breaker[]) {
  return incidentStats({ episodes: [episode], breakers, records, phases, timeScale: 1 })[0]!;
}

describe('incidentStats', () => {
  it('times detection from the fault start and from the moment it hit every request', () => {
    // Opened once during the 40% phase, closed again by a lucky probe, then opened 2 s into the full outage.
    const incident = stats([breaker('open', 120_000), breaker('half_open', 150_000), breaker('open', 150_010), breaker('closed', 191_000)]);
    expect(incident.phase).toBe('gray-10');
    expect(incident.time_to_detect_ms).toBe(60_000);
    expect(incident.detected_in_phase).toBe('gray-40');
    expect(incident.full_outage_start_ms).toBe(140_004);
    // Still open from the 40% phase when every request began to fail: detected at once.
    expect(incident.time_to_detect_full_outage_ms).toBe(0);
    expect(incident.time_to_recover_ms).toBe(196_000 - 190_002);
  });

  it('waits for the next open when the breaker was closed as the fault hit every request', () => {
    const incident = stats([breaker('open', 120_000), breaker('closed', 130_000), breaker('open', 142_504)]);
    expect(incident.time_to_detect_full_outage_ms).toBe(2_500);
  });

  it('says null when the breaker never opened once every request failed, or the fault never hit them all', () => {
    expect(stats([breaker('open', 120_000), breaker('closed', 130_000)]).time_to_detect_full_outage_ms).toBeNull();
    const partial = incidentStats({ episodes: [{ ...episode, fullStartMs: null }], breakers: [], records, phases, timeScale: 1 })[0]!;
    expect(partial).toMatchObject({ full_outage_start_ms: null, scenario_full_outage_start_ms: null, time_to_detect_full_outage_ms: null, time_to_detect_ms: null });
  });
});

describe('primaryTimesByPhase', () => {
  it("puts each time on the row of the phase it is measured from, and only the primary's", () => {
    const incident = stats([breaker('open', 142_504)]);
    const other = { ...incident, deployment: 'gpt', time_to_detect_ms: 1 };
    const byPhase = primaryTimesByPhase([incident, other], 'claude', phases);
    expect(Object.fromEntries(byPhase)).toEqual({
      'gray-10': { time_to_detect_ms: 82_504 },
      'all-hang': { time_to_detect_ms: 2_500 },
      recovered: { time_back_on_primary_ms: 5_998 },
    });
  });
});
