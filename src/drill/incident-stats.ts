/**
 * Time to detect and time to recover, per fault episode: from the fault's start to the deployment's
 * breaker opening (Keel's `breaker` events), and from the fault's end to the first request sent
 * afterwards that the deployment answered again (what the clients saw: traffic back on it). A gray
 * failure that grows from a share of requests to all of them is also timed from the moment it hit every
 * request: a breaker that stays closed while 10% of requests hang may be right, one that stays closed
 * once every request hangs is not.
 */
import type { CircuitStateChangeEvent } from '../resilience/index.js';
import type { FaultEpisode } from './fault-episodes.js';
import type { LoadRecord } from './load-generator.js';
import type { IncidentStats, PhaseStats } from './report-types.js';
import { phaseAt, phaseStartingNear, type PhaseWindow } from './timeline.js';

export interface IncidentInput {
  episodes: readonly FaultEpisode[];
  /** Breaker events with `atMs` already turned into wall-clock offsets from the drill start. */
  breakers: readonly (CircuitStateChangeEvent & { offsetMs: number })[];
  records: readonly LoadRecord[];
  phases: readonly PhaseWindow[];
  timeScale: number;
}

export function incidentStats(input: IncidentInput): IncidentStats[] {
  const { phases, timeScale } = input;
  return input.episodes.map((episode) => {
    const end = episode.endMs ?? Number.POSITIVE_INFINITY;
    const own = input.breakers.filter((b) => b.deploymentId === episode.deployment);
    const opens = own.filter((b) => b.to === 'open' && b.offsetMs >= episode.startMs && b.offsetMs <= end);
    const firstOpen = opens[0];
    // The breaker may still be open when the fault ends: recovery is its next close after the end.
    const stateAtEnd = episode.endMs === null ? undefined : own.filter((b) => b.offsetMs < episode.endMs!).at(-1)?.to;
    const closed = episode.endMs === null || opens.length === 0 ? undefined : stateAtEnd === 'closed' ? { offsetMs: episode.endMs } : own.find((b) => b.to === 'closed' && b.offsetMs >= episode.endMs!);
    const back = episode.endMs === null ? undefined : input.records.find((r) => r.offsetMs >= episode.endMs! && r.observation?.verdict.kind === 'ok' && r.observation.deployment === episode.deployment && r.observation.degraded === undefined);
    const round = (ms: number | undefined): number | null => (ms === undefined ? null : Math.round(ms));
    // Already open when the fault hit every request counts as detected at once (0).
    const full = episode.fullStartMs;
    const openAtFull = full === null ? undefined : own.filter((b) => b.offsetMs <= full).at(-1)?.to === 'open' ? { offsetMs: full } : opens.find((b) => b.offsetMs >= full);
    return {
      deployment: episode.deployment,
      causes: episode.causes,
      phase: phaseStartingNear(phases, episode.startMs).name,
      fault_start_ms: Math.round(episode.startMs),
      fault_end_ms: round(episode.endMs ?? undefined),
      scenario_fault_start_ms: Math.round(episode.startMs * timeScale),
      scenario_fault_end_ms: episode.endMs === null ? null : Math.round(episode.endMs * timeScale),
      time_to_detect_ms: round(firstOpen === undefined ? undefined : firstOpen.offsetMs - episode.startMs),
      full_outage_start_ms: round(full ?? undefined),
      scenario_full_outage_start_ms: full === null ? null : Math.round(full * timeScale),
      time_to_detect_full_outage_ms: round(openAtFull === undefined || full === null ? undefined : openAtFull.offsetMs - full),
      detected_in_phase: firstOpen === undefined ? null : phaseAt([...phases], firstOpen.offsetMs).name,
      breaker_opens: opens.length,
      breaker_closed_after_ms: round(closed === undefined ? undefined : closed.offsetMs - episode.endMs!),
      time_to_recover_ms: round(back === undefined ? undefined : back.offsetMs - episode.endMs!),
    };
  });
}

/** What a phase's row shows of the primary's incidents: the times measured from that phase's start. */
export type PhaseIncidentTimes = Pick<PhaseStats, 'time_to_detect_ms' | 'time_back_on_primary_ms'>;

/**
 * The primary's detection and recovery times, keyed by the phase each is measured from: the phase that
 * began a fault (time to detect), the one that made it hit every request (time to detect from then), and
 * the one that mended it (time back on the primary).
 */
export function primaryTimesByPhase(incidents: readonly IncidentStats[], primary: string, phases: readonly PhaseWindow[]): Map<string, PhaseIncidentTimes> {
  const out = new Map<string, PhaseIncidentTimes>();
  const at = (offsetMs: number): PhaseIncidentTimes => {
    const name = phaseStartingNear(phases, offsetMs).name;
    const times = out.get(name) ?? {};
    out.set(name, times);
    return times;
  };
  for (const incident of incidents.filter((i) => i.deployment === primary)) {
    at(incident.fault_start_ms).time_to_detect_ms = incident.time_to_detect_ms;
    if (incident.full_outage_start_ms !== null) at(incident.full_outage_start_ms).time_to_detect_ms = incident.time_to_detect_full_outage_ms;
    if (incident.fault_end_ms !== null) at(incident.fault_end_ms).time_back_on_primary_ms = incident.time_to_recover_ms;
  }
  return out;
}
