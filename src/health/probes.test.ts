import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { KeelError } from '../core/errors.js';
import { parseConfig } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import { closeAllPools } from '../providers/http/upstream-pool.js';
import { Router } from '../router/router.js';
import type { DispatchInput, DispatchResult } from '../router/router-types.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { HealthWindows } from './health-windows.js';
import { isProbeRequestId } from './probe-id.js';
import { ProbeScheduler, type ProbedDeployment, type ProbeRouter } from './probes.js';
import { settle } from './__fixtures__/synthetic-traffic.js';

const T0 = Date.UTC(2025, 0, 1, 23, 50);

/** A router double: `gpt-4.1` is a deployment's own model, `shared` is the model of two deployments. */
function fakeRouter(fail = false) {
  const sent: DispatchInput[] = [];
  const targets: Record<string, string[]> = { 'gpt-4.1': ['gpt-direct'], shared: ['a', 'b'], a: ['a'], b: ['b'], 'gpt-direct': ['gpt-direct'] };
  const router: ProbeRouter = {
    resolve(model) {
      const ids = targets[model];
      if (ids === undefined) throw new KeelError('model_not_found', `no ${model}`);
      return { targets: ids.map((id) => ({ deployment: { id } })) };
    },
    async dispatch(input) {
      sent.push(input);
      if (fail) throw new KeelError('all_deployments_failed', 'down', { attempts: [{ deployment: 'x', outcome: 'overloaded', latencyMs: 1 }, { deployment: 'x', outcome: 'overloaded', latencyMs: 1 }] });
      const id = targets[input.request.model]![0]!;
      return {
        route: input.request.model,
        deployment: { id } as DispatchResult['deployment'],
        attempts: [],
        passthrough: false,
        answer: { kind: 'json', response: { id: 'r', model: 'm', content: [], finishReason: 'length', usage: { inputTokens: 10, outputTokens: 1 } } },
        done: () => undefined,
      } as unknown as DispatchResult;
    },
  };
  return { router, sent };
}

function setup(deployments: ProbedDeployment[], options: { fail?: boolean; capUsd?: number } = {}) {
  const clock = new ManualClock(T0);
  const health = new HealthWindows({ clock, deployments: deployments.map((d) => ({ id: d.id, provider: 'openai' })) });
  const { router, sent } = fakeRouter(options.fail);
  const results: unknown[] = [];
  const probes = new ProbeScheduler({ router, health, deployments, clock, settings: { dailyCostCapUsd: options.capUsd ?? 1 }, onProbe: (r) => results.push(r) });
  return { clock, health, probes, sent, results };
}

const gpt: ProbedDeployment = { id: 'gpt-direct', model: 'gpt-4.1', price: { input_per_mtok: 2, output_per_mtok: 8 } };

describe('ProbeScheduler', () => {
  it('probes a deployment with too little traffic, through the router, marked as a probe, with max_tokens 1', async () => {
    const { probes, sent } = setup([gpt]);
    const [result] = await probes.runDue();
    expect(result).toMatchObject({ deployment: 'gpt-direct', kind: 'sent', ok: true });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.request).toMatchObject({ model: 'gpt-4.1', maxTokens: 1, stream: false });
    expect(sent[0]!.priority).toBe('batch');
    expect(isProbeRequestId(sent[0]!.requestId)).toBe(true);
    expect(result!.costUsd).toBeCloseTo((10 * 2 + 1 * 8) / 1e6, 12);
  });

  it('probes at most once per interval, and not a deployment whose traffic already tells', async () => {
    const { probes, sent, clock, health } = setup([gpt]);
    await probes.runDue();
    clock.advance(30_000);
    await probes.runDue();
    expect(sent).toHaveLength(1);
    for (let i = 0; i < 20; i++) health.recordAttempt({ requestId: `req_${i}`, deployment: 'gpt-direct', outcome: 'ok', startedAtMs: clock.now() - 10, latencyMs: 10 });
    clock.advance(60_000);
    await probes.runDue();
    expect(sent).toHaveLength(1);
  });

  it('probes a deployment whose breaker is open, even with traffic', async () => {
    const { probes, sent, clock, health } = setup([gpt]);
    for (let i = 0; i < 20; i++) health.recordAttempt({ requestId: `req_${i}`, deployment: 'gpt-direct', outcome: 'server_error', startedAtMs: clock.now() - 10, latencyMs: 10 });
    health.recordBreaker({ deploymentId: 'gpt-direct', to: 'open', atMs: clock.now() });
    await probes.runDue();
    expect(sent).toHaveLength(1);
  });

  it('uses the deployment id when its model name does not target it alone', async () => {
    const { probes, sent } = setup([{ id: 'a', model: 'shared' }, { id: 'nowhere', model: 'unknown' }]);
    const results = await probes.runDue();
    expect(sent.map((s) => s.request.model)).toEqual(['a']);
    expect(results.find((r) => r.deployment === 'nowhere')).toMatchObject({ kind: 'unroutable', ok: false });
  });

  it('stops at the daily cost cap and starts again the next UTC day', async () => {
    const expensive: ProbedDeployment = { id: 'gpt-direct', model: 'gpt-4.1', price: { input_per_mtok: 1_000, output_per_mtok: 1_000 } };
    // One probe: 16 tokens estimated, 11 used, at $1,000 per million: ~1.1 cents; the cap allows two.
    const { probes, sent, clock } = setup([expensive], { capUsd: 0.03 });
    for (let i = 0; i < 5; i++) {
      await probes.runDue();
      clock.advance(60_000);
    }
    expect(sent).toHaveLength(2);
    expect(probes.spentTodayUsd('gpt-direct')).toBeCloseTo(0.022, 6);
    clock.advance(24 * 3_600_000);
    expect(probes.spentTodayUsd('gpt-direct')).toBe(0);
    await probes.runDue();
    expect(sent).toHaveLength(3);
  });

  it('counts a failed probe at the estimate per attempt, and never throws', async () => {
    const { probes } = setup([gpt], { fail: true });
    const [result] = await probes.runDue();
    expect(result).toMatchObject({ kind: 'sent', ok: false, error: 'down' });
    expect(result!.costUsd).toBeCloseTo(2 * ((16 * 2 + 8) / 1e6), 12);
  });

  it('runs on the clock once started, and stops', async () => {
    const { probes, sent, clock } = setup([gpt]);
    probes.start();
    for (let i = 0; i < 18; i++) {
      clock.advance(10_000);
      await settle();
    }
    expect(sent).toHaveLength(3);
    probes.stop();
    clock.advance(120_000);
    await settle();
    expect(sent).toHaveLength(3);
  });
});

describe('ProbeScheduler through a real router', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ tokenDelayMs: 0 });
  });
  afterAll(async () => {
    await closeAllPools();
    await sim.close();
  });

  it('reaches only the probed deployment, and its events carry the probe id', async () => {
    const config = parseConfig(
      {
        deployments: [
          { id: 'primary', provider: 'openai', model: 'sim-a', base_url: `${sim.url}/v1`, price: { input_per_mtok: 1, output_per_mtok: 1 } },
          { id: 'fallback', provider: 'openai', model: 'sim-b', base_url: `${sim.url}/v1` },
        ],
        routes: { smart: { deployments: ['primary', 'fallback'] } },
      },
      'probe-test.yaml',
      {},
    );
    const runtime = resolveConfig(config, { source: 'probe-test.yaml' });
    const router = new Router(runtime);
    const clock = new ManualClock(T0);
    const health = new HealthWindows({ clock, deployments: [...runtime.deployments.values()] });
    const attempts: { requestId: string; deployment: string; outcome: string }[] = [];
    router.events.on('attempt', (a) => attempts.push(a));
    health.attach({ on: (name, listener) => router.events.on(name, (e) => listener({ ...e, startedAtMs: clock.now(), latencyMs: 1 } as never)) });
    sim.setFault('sim-a', { type: 'error', status: 503, kind: 'overloaded' });
    const probes = new ProbeScheduler({ router, health, clock, deployments: [...runtime.deployments.values()].map((d) => ({ id: d.id, model: d.model, price: d.price })) });
    const result = await probes.probe('primary');
    expect(result).toMatchObject({ kind: 'sent', ok: false });
    expect(attempts.length).toBeGreaterThan(0);
    expect(attempts.every((a) => a.deployment === 'primary' && isProbeRequestId(a.requestId))).toBe(true);
    expect(health.evaluateDeployment('primary').short).toMatchObject({ probes: attempts.length, faults: attempts.length });
    sim.clearFaults();
    expect(await probes.probe('fallback')).toMatchObject({ kind: 'sent', ok: true, costUsd: 0 });
    expect(health.evaluate().routes).toEqual([]);
  });
});
