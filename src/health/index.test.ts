/** `createHealthMonitor` against a real router and the simulator: the wiring the server will use. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatRequest } from '../core/chat-request.js';
import { parseConfig } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import { closeAllPools } from '../providers/http/upstream-pool.js';
import { Router } from '../router/router.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { createHealthMonitor } from './index.js';
import { MemoryStore } from './__fixtures__/memory-store.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0 });
});
afterAll(async () => {
  await closeAllPools();
  await sim.close();
});

describe('createHealthMonitor', () => {
  it('feeds health from the router, probes through it when enabled, and stops cleanly', async () => {
    const config = parseConfig(
      {
        deployments: [
          { id: 'primary', provider: 'openai', model: 'sim-a', base_url: `${sim.url}/v1` },
          { id: 'idle', provider: 'openai', model: 'sim-b', base_url: `${sim.url}/v1` },
        ],
        routes: { smart: { deployments: ['primary'] } },
      },
      'monitor-test.yaml',
      {},
    );
    const runtime = resolveConfig(config, { source: 'monitor-test.yaml' });
    const router = new Router(runtime);
    const store = new MemoryStore();
    const errors: unknown[] = [];
    const monitor = createHealthMonitor({ config: runtime, router, store, probes: { enabled: true }, onError: (e) => errors.push(e) });
    await monitor.start();
    const result = await router.dispatch({ request: chatRequest({ model: 'smart', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }), clientFormat: 'openai', requestId: 'req_1', signal: new AbortController().signal });
    result.done();
    const snapshot = monitor.windows.evaluate();
    expect(snapshot.deployments.find((d) => d.deployment === 'primary')!.short).toMatchObject({ attempts: 1, successes: 1 });
    expect(snapshot.routes.find((r) => r.route === 'smart')!.short.attempts).toBe(1);
    // Both deployments have too little traffic to judge: each gets one probe.
    const probes = await monitor.probes!.runDue();
    expect(probes.map((p) => [p.deployment, p.ok])).toEqual([
      ['primary', true],
      ['idle', true],
    ]);
    expect(monitor.windows.evaluateDeployment('idle').short).toMatchObject({ attempts: 1, probes: 1 });
    expect(monitor.windows.evaluate().routes.find((r) => r.route === 'smart')!.short.attempts).toBe(1);
    await monitor.stop();
    expect(errors).toEqual([]);
    expect(createHealthMonitor({ config: runtime, router, store }).probes).toBeUndefined();
  });
});
