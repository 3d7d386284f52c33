/**
 * Time to detect and time to recover, per fault episode: from the fault's start to the deployment's
 * breaker opening (Keel's `breaker` events), and from the fault's end to the first request sent
 * afterwards that the deployment answered again (what the clients saw: traffic back on it).
 */
import type { CircuitStateChangeEvent } from '../resilience/index.js';
import type { FaultEpisode } from './fault-episodes.js';
import type { LoadRecord } from './load-generator.js';
import type { IncidentStats } from './report-types.js';
import { phaseAt, type PhaseWindow } from './timeline.js';

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
    return {
      deployment: episode.deployment,
      causes: episode.causes,
      phase: phaseAt([...phases], episode.startMs).name,
      fault_start_ms: Math.round(episode.startMs),
      fault_end_ms: round(episode.endMs ?? undefined),
      scenario_fault_start_ms: Math.round(episode.startMs * timeScale),
      scenario_fault_end_ms: episode.endMs === null ? null : Math.round(episode.endMs * timeScale),
      time_to_detect_ms: round(firstOpen === undefined ? undefined : firstOpen.offsetMs - episode.startMs),
      detected_in_phase: firstOpen === undefined ? null : phaseAt([...phases], firstOpen.offsetMs).name,
      breaker_opens: opens.length,
      breaker_closed_after_ms: round(closed === undefined ? undefined : closed.offsetMs - episode.endMs!),
      time_to_recover_ms: round(back === undefined ? undefined : back.offsetMs - episode.endMs!),
    };
  });
}
