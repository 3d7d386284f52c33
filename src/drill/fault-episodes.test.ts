import { describe, expect, it } from 'vitest';
import { describeAction, faultEpisodes } from './fault-episodes.js';
import type { AppliedAction } from './timeline.js';

const deployments = new Map([
  ['claude', { model: 'sim-claude' }],
  ['gpt', { model: 'sim-gpt' }],
]);

describe('faultEpisodes', () => {
  it('spans a fault from the action that starts it to the one that mends it, across changes of kind', () => {
    const applied: AppliedAction[] = [
      { offsetMs: 1_000, phase: 'overload', action: { set_fault: { model: 'sim-claude', type: 'error', status: 529, rate: 0.5 } } },
      // Cleared and replaced in one phase: one change, so the episode does not end in between.
      { offsetMs: 2_000, phase: 'down', action: { clear_fault: 'sim-claude' } },
      { offsetMs: 2_001, phase: 'down', action: { stop_listening: 'claude' } },
      { offsetMs: 3_000, phase: 'up', action: { resume_listening: 'claude' } },
    ];
    const [episode, ...rest] = faultEpisodes(applied, deployments);
    expect(rest).toEqual([]);
    expect(episode).toMatchObject({ deployment: 'claude', startMs: 1_000, endMs: 3_000 });
    expect(episode!.causes).toEqual(['error status=529 for 50% of requests', 'connections refused']);
  });

  it("applies '*' to every deployment and leaves an unmended fault open", () => {
    const applied: AppliedAction[] = [
      { offsetMs: 500, phase: 'all-down', action: { stop_listening: '*' } },
      { offsetMs: 900, phase: 'half-up', action: { resume_listening: 'gpt' } },
      { offsetMs: 950, phase: 'slow', action: { set_latency: { deployment: 'gpt', ms: 800 } } },
    ];
    const episodes = faultEpisodes(applied, deployments);
    expect(episodes.map((e) => [e.deployment, e.startMs, e.endMs])).toEqual([
      ['claude', 500, null],
      ['gpt', 500, 900],
      ['gpt', 950, null],
    ]);
  });
});

describe('faultEpisodes: when a gray failure hits every request', () => {
  const mix = { type: 'mix', faults: [{ type: 'hang' }, { type: 'stream_stall', afterTokens: 2 }, { type: 'reset' }] };

  it('marks the phase from which the fault hit every request, not the one where it began on a share', () => {
    const applied: AppliedAction[] = [
      { offsetMs: 60_000, phase: 'gray-10', action: { set_fault: { model: 'sim-claude', ...mix, rate: 0.1 } } },
      { offsetMs: 100_000, phase: 'gray-40', action: { set_fault: { model: 'sim-claude', ...mix, rate: 0.4 } } },
      { offsetMs: 140_000, phase: 'all-hang', action: { set_fault: { model: 'sim-claude', type: 'hang' } } },
      // A share again afterwards does not move the moment it first failed everything.
      { offsetMs: 160_000, phase: 'half', action: { set_fault: { model: 'sim-claude', type: 'hang', rate: 0.5 } } },
      { offsetMs: 190_000, phase: 'recovered', action: { clear_fault: 'sim-claude' } },
    ];
    const [episode] = faultEpisodes(applied, deployments);
    expect(episode).toMatchObject({ deployment: 'claude', startMs: 60_000, fullStartMs: 140_000, endMs: 190_000 });
    expect(episode!.causes).toHaveLength(4);
  });

  it('counts refused connections and a fault without a rate as every request, a rate or a `times` budget as a share', () => {
    const episodesOf = (action: AppliedAction['action']) => faultEpisodes([{ offsetMs: 10, phase: 'x', action }], deployments);
    expect(episodesOf({ stop_listening: 'claude' })[0]!.fullStartMs).toBe(10);
    expect(episodesOf({ set_fault: { model: 'sim-claude', type: 'hang', rate: 1 } })[0]!.fullStartMs).toBe(10);
    expect(episodesOf({ set_fault: { model: 'sim-claude', type: 'hang', rate: 0.99 } })[0]!.fullStartMs).toBeNull();
    expect(episodesOf({ set_fault: { model: 'sim-claude', type: 'hang', times: 3 } })[0]!.fullStartMs).toBeNull();
  });
});

describe('describeAction', () => {
  it('says what each action does', () => {
    expect(describeAction({ set_fault: { model: 'sim-gpt', type: 'error', status: 429, retryAfterS: 1, rate: 0.1 } })).toBe('fault on sim-gpt: error status=429 retryAfterS=1 for 10% of requests');
    expect(describeAction({ stop_listening: '*' })).toBe('refuse connections on every endpoint');
    expect(describeAction({ set_latency: { deployment: 'gpt', ms: 0 } })).toBe('no added latency on gpt');
    expect(describeAction({ set_fault: { model: 'sim-claude', type: 'mix', rate: 0.25, faults: [{ type: 'hang' }, { type: 'stream_stall', afterTokens: 2 }, { type: 'reset' }] } }))
      .toBe('fault on sim-claude: mix of hang / stream_stall afterTokens=2 / reset for 25% of requests');
    expect(describeAction({ set_fault: { model: 'sim-claude', type: 'mix', faults: [{ type: 'hang', weight: 3 }, { type: 'reset' }] } }))
      .toBe('fault on sim-claude: mix of hang (weight 3) / reset (weight 1)');
  });
});
