/**
 * Plays a scenario's timeline against the simulated providers: each phase starts at its scenario time
 * divided by the time scale, and its actions are applied in order (faults on simulator models, endpoints
 * refused or slowed at their connection gates). Every applied action is recorded with the wall-clock
 * offset at which it took effect, which is what "fault start" means in the report.
 */
import type { FaultSpec, Simulator } from '../simulator/index.js';
import type { ConnectionGate } from './connection-gate.js';
import type { Scenario, ScenarioAction } from './scenario-schema.js';

export interface PhaseWindow {
  name: string;
  description: string | undefined;
  /** Wall-clock ms from the start of the drill. */
  startMs: number;
  endMs: number;
  /** Scenario time. */
  scenarioStartMs: number;
  scenarioEndMs: number;
}

export interface AppliedAction {
  offsetMs: number;
  phase: string;
  action: ScenarioAction;
}

export interface TimelineTargets {
  simulator: Simulator;
  /** Connection gate of each deployment, by deployment id. */
  gates: Map<string, ConnectionGate>;
}

/** The phases of a scenario in wall-clock time at a given scale. */
export function phaseWindows(scenario: Scenario, timeScale: number): PhaseWindow[] {
  return scenario.timeline.map((phase, i) => {
    const scenarioEndMs = scenario.timeline[i + 1]?.at ?? scenario.duration;
    return {
      name: phase.name,
      description: phase.description,
      startMs: phase.at / timeScale,
      endMs: scenarioEndMs / timeScale,
      scenarioStartMs: phase.at,
      scenarioEndMs,
    };
  });
}

export function phaseAt(phases: PhaseWindow[], offsetMs: number): PhaseWindow {
  for (let i = phases.length - 1; i >= 0; i--) if (offsetMs >= phases[i]!.startMs) return phases[i]!;
  return phases[0]!;
}

/**
 * The phase whose actions took effect at `offsetMs`: the one starting nearest to it. Not `phaseAt`: a
 * timer can fire a fraction of a millisecond before the phase's computed start, which `phaseAt` would
 * count in the phase before.
 */
export function phaseStartingNear(phases: readonly PhaseWindow[], offsetMs: number): PhaseWindow {
  return phases.reduce((best, p) => (Math.abs(p.startMs - offsetMs) < Math.abs(best.startMs - offsetMs) ? p : best));
}

export async function applyAction(action: ScenarioAction, targets: TimelineTargets): Promise<void> {
  const gatesFor = (id: string): ConnectionGate[] => (id === '*' ? [...targets.gates.values()] : [targets.gates.get(id)!]);
  if (action.set_fault !== undefined) {
    const { model, ...fault } = action.set_fault;
    targets.simulator.setFault(model, fault as unknown as FaultSpec);
  } else if (action.clear_fault !== undefined) {
    if (action.clear_fault === '*') targets.simulator.clearFaults();
    else targets.simulator.setFault(action.clear_fault, null);
  } else if (action.stop_listening !== undefined) {
    await Promise.all(gatesFor(action.stop_listening).map((g) => g.stopListening()));
  } else if (action.resume_listening !== undefined) {
    await Promise.all(gatesFor(action.resume_listening).map((g) => g.resumeListening()));
  } else if (action.set_latency !== undefined) {
    for (const gate of gatesFor(action.set_latency.deployment)) gate.setLatency(action.set_latency.ms);
  }
}

/**
 * Runs the timeline from `startMs` (performance.now() time base) until its last phase has begun;
 * `onPhase` hears each phase as it starts. Bounded: one wait per phase, each ending at its start time.
 */
export async function playTimeline(
  scenario: Scenario,
  phases: PhaseWindow[],
  targets: TimelineTargets,
  startMs: number,
  signal: AbortSignal,
  onPhase: (phase: PhaseWindow) => void = () => {},
): Promise<AppliedAction[]> {
  const applied: AppliedAction[] = [];
  for (const [i, phase] of phases.entries()) {
    const waitMs = phase.startMs - (performance.now() - startMs);
    if (waitMs > 0) await abortableSleep(waitMs, signal);
    if (signal.aborted) break;
    onPhase(phase);
    for (const action of scenario.timeline[i]!.actions) {
      await applyAction(action, targets);
      applied.push({ offsetMs: performance.now() - startMs, phase: phase.name, action });
    }
  }
  return applied;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
