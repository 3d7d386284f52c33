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

describe('describeAction', () => {
  it('says what each action does', () => {
    expect(describeAction({ set_fault: { model: 'sim-gpt', type: 'error', status: 429, retryAfterS: 1, rate: 0.1 } })).toBe('fault on sim-gpt: error status=429 retryAfterS=1 for 10% of requests');
    expect(describeAction({ stop_listening: '*' })).toBe('refuse connections on every endpoint');
    expect(describeAction({ set_latency: { deployment: 'gpt', ms: 0 } })).toBe('no added latency on gpt');
  });
});
