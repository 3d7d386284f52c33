/**
 * Which deployment was faulty when, from the actions the timeline applied: a deployment is faulty while
 * a simulator fault covers its model (its own or '*'), its endpoint is refusing connections, or its
 * endpoint adds latency. An episode runs from the action that made it faulty to the one that mended it;
 * "time to detect" and "time to recover" are measured from these edges. An episode that starts with a
 * fault on a share of requests (gray failure) also records when it first hit every request, because a
 * breaker should open then, and not necessarily for a 10% fault: detection is judged from that moment.
 */
import type { ScenarioAction } from './scenario-schema.js';
import type { AppliedAction } from './timeline.js';

export interface FaultEpisode {
  deployment: string;
  /** Wall-clock ms from the drill start. */
  startMs: number;
  /** Null when the fault lasted to the end of the drill. */
  endMs: number | null;
  /**
   * When the fault first hit every request (a fault without a `rate` below 1 or a `times` budget, refused
   * connections, added latency); null when it only ever hit a share of them.
   */
  fullStartMs: number | null;
  /** What the fault was, in the order it changed. */
  causes: string[];
}

/** A fault's type and fields in one line: `stream_stall afterTokens=2`, a mix as its choices. */
function describeFault(fault: Record<string, unknown>): string {
  const { type, faults, ...rest } = fault;
  if (type === 'mix' && Array.isArray(faults)) {
    const choices = faults as Record<string, unknown>[];
    const weighted = choices.some((c) => (c['weight'] ?? 1) !== (choices[0]?.['weight'] ?? 1));
    return `mix of ${choices.map(({ weight, ...choice }) => `${describeFault(choice)}${weighted ? ` (weight ${String(weight ?? 1)})` : ''}`).join(' / ')}`;
  }
  const details = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return `${String(type)}${details.length > 0 ? ` ${details.join(' ')}` : ''}`;
}

/** One line per action, for the report's timeline. */
export function describeAction(action: ScenarioAction): string {
  if (action.set_fault !== undefined) {
    const { model, rate, times: _times, ...fault } = action.set_fault;
    return `fault on ${model}: ${describeFault(fault)}${typeof rate === 'number' ? ` for ${Math.round(rate * 1000) / 10}% of requests` : ''}`;
  }
  if (action.clear_fault !== undefined) return action.clear_fault === '*' ? 'clear every fault' : `clear the fault on ${action.clear_fault}`;
  if (action.stop_listening !== undefined) return action.stop_listening === '*' ? 'refuse connections on every endpoint' : `refuse connections to ${action.stop_listening}`;
  if (action.resume_listening !== undefined) return action.resume_listening === '*' ? 'accept connections on every endpoint' : `accept connections to ${action.resume_listening}`;
  if (action.set_latency !== undefined) return action.set_latency.ms === 0 ? `no added latency on ${action.set_latency.deployment}` : `add ${action.set_latency.ms} ms of latency on ${action.set_latency.deployment}`;
  return 'nothing';
}

/** Whether a fault hits every request to its model, rather than a share or a budget of them. */
function hitsEveryRequest(fault: NonNullable<ScenarioAction['set_fault']>): boolean {
  return (typeof fault.rate !== 'number' || fault.rate >= 1) && fault.times === undefined;
}

export function faultEpisodes(applied: readonly AppliedAction[], deployments: ReadonlyMap<string, { model: string }>): FaultEpisode[] {
  const faults = new Map<string, { description: string; everyRequest: boolean }>();
  const stopped = new Set<string>();
  const latencyMs = new Map<string, number>();
  const open = new Map<string, FaultEpisode>();
  const episodes: FaultEpisode[] = [];
  const ids = [...deployments.keys()];
  const targets = (id: string): string[] => (id === '*' ? ids : [id]);

  // A phase's actions take effect together: "clear the overload, refuse connections" is one change.
  for (const [i, { offsetMs, action, phase }] of applied.entries()) {
    if (action.set_fault !== undefined) faults.set(action.set_fault.model, { description: describeAction(action).replace(/^fault on [^:]+: /, ''), everyRequest: hitsEveryRequest(action.set_fault) });
    else if (action.clear_fault === '*') faults.clear();
    else if (action.clear_fault !== undefined) faults.delete(action.clear_fault);
    else if (action.stop_listening !== undefined) for (const id of targets(action.stop_listening)) stopped.add(id);
    else if (action.resume_listening !== undefined) for (const id of targets(action.resume_listening)) stopped.delete(id);
    else if (action.set_latency !== undefined) for (const id of targets(action.set_latency.deployment)) latencyMs.set(id, action.set_latency.ms);
    if (applied[i + 1]?.phase === phase) continue;
    const changedAtMs = applied.find((a) => a.phase === phase)?.offsetMs ?? offsetMs;

    for (const [id, { model }] of deployments) {
      const causes: string[] = [];
      const fault = faults.get(model) ?? faults.get('*');
      if (fault !== undefined) causes.push(fault.description);
      if (stopped.has(id)) causes.push('connections refused');
      if ((latencyMs.get(id) ?? 0) > 0) causes.push(`+${latencyMs.get(id)} ms latency`);
      const everyRequest = fault?.everyRequest === true || stopped.has(id) || (latencyMs.get(id) ?? 0) > 0;
      const episode = open.get(id);
      if (causes.length > 0 && episode === undefined) {
        const started: FaultEpisode = { deployment: id, startMs: changedAtMs, endMs: null, fullStartMs: everyRequest ? changedAtMs : null, causes: [causes.join(', ')] };
        open.set(id, started);
        episodes.push(started);
      } else if (causes.length > 0 && episode !== undefined) {
        const now = causes.join(', ');
        if (episode.causes.at(-1) !== now) episode.causes.push(now);
        if (everyRequest) episode.fullStartMs ??= changedAtMs;
      } else if (causes.length === 0 && episode !== undefined) {
        episode.endMs = changedAtMs;
        open.delete(id);
      }
    }
  }
  return episodes.sort((a, b) => a.startMs - b.startMs);
}
