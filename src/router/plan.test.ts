import { describe, expect, it } from 'vitest';
import type { Deployment, Route } from '../config/resolve-config.js';
import { LatencyTracker } from './latency-tracker.js';
import { planDeployments } from './plan.js';

const dep = (id: string, family?: string): Deployment => ({ id, model: id, ...(family === undefined ? {} : { family }) } as Deployment);
const route = (strategy: Route['strategy'], weights: [string, number][]): Route =>
  ({ name: 'r', strategy, targets: weights.map(([id, weight]) => ({ deployment: dep(id), weight })) }) as Route;

describe('planDeployments', () => {
  it('keeps the configured order for priority', () => {
    expect(planDeployments(route('priority', [['a', 1], ['b', 1]]), new LatencyTracker(), Math.random).map((d) => d.id)).toEqual(['a', 'b']);
  });

  it('draws weighted first choices in proportion to weight and always lists every deployment', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const firsts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) {
      const plan = planDeployments(route('weighted', [['a', 3], ['b', 1]]), new LatencyTracker(), random);
      expect(plan.map((d) => d.id).sort()).toEqual(['a', 'b']);
      firsts[plan[0]!.id]! += 1;
    }
    expect(firsts['a']! / 4000).toBeGreaterThan(0.7);
    expect(firsts['a']! / 4000).toBeLessThan(0.8);
  });

  it('puts unmeasured deployments first, then the fastest by EWMA TTFT', () => {
    const latency = new LatencyTracker();
    latency.record('a', 900);
    latency.record('b', 200);
    const plan = planDeployments(route('least-latency', [['a', 1], ['b', 1], ['c', 1]]), latency, Math.random);
    expect(plan.map((d) => d.id)).toEqual(['c', 'b', 'a']);
    for (let i = 0; i < 10; i++) latency.record('b', 2000);
    expect(planDeployments(route('least-latency', [['a', 1], ['b', 1]]), latency, Math.random).map((d) => d.id)).toEqual(['a', 'b']);
  });

  it('tries the same family elsewhere before a different model, keeping the strategy\'s order inside a family', () => {
    const targets = [dep('claude-direct', 'claude-sonnet-4-5'), dep('gpt-azure', 'gpt-4.1'), dep('claude-bedrock-east', 'claude-sonnet-4-5'), dep('gemini'), dep('claude-vertex', 'claude-sonnet-4-5')];
    const r = { name: 'r', strategy: 'priority', targets: targets.map((deployment) => ({ deployment, weight: 1 })) } as Route;
    expect(planDeployments(r, new LatencyTracker(), Math.random).map((d) => d.id)).toEqual(['claude-direct', 'claude-bedrock-east', 'claude-vertex', 'gpt-azure', 'gemini']);
  });

  it('keeps the configured order of deployments that declare no family', () => {
    const r = { name: 'r', strategy: 'priority', targets: [{ deployment: { id: 'a', model: 'm1' }, weight: 1 }, { deployment: { id: 'b', model: 'm2' }, weight: 1 }, { deployment: { id: 'c', model: 'm1' }, weight: 1 }] } as Route;
    expect(planDeployments(r, new LatencyTracker(), Math.random).map((d) => d.id)).toEqual(['a', 'b', 'c']);
  });
});
