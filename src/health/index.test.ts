/**
 * `createHealthMonitor` against a real router and the simulator: the wiring the server will use; then, on a
 * fake router and clock, a replica that follows traffic always and leads (seeded from the store) now and then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatRequest } from '../core/chat-request.js';
import { parseConfig } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve-config.js';
import { closeAllPools } from '../providers/http/upstream-pool.js';
import { Router } from '../router/router.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { ManualClock } from '../core/clock.js';
import { TypedEmitter } from '../resilience/typed-emitter.js';
import type { RouterEvents } from '../router/router-types.js';
import { createHealthMonitor, type HealthMonitorOptions, type SeedResult } from './index.js';
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

describe('createHealthMonitor on a replica that leads now and then', () => {
  const T = Date.UTC(2025, 0, 1, 12);
  const config = { deployments: new Map([['gpt', { id: 'gpt', provider: 'openai', model: 'gpt-x' }]]), routes: new Map() };
  const setup = () => {
    const clock = new ManualClock(T + 90_000);
    const events = new TypedEmitter<RouterEvents>();
    const router = { events, resolve: () => ({ targets: [] }), dispatch: () => Promise.reject(new Error('no probes here')) } as unknown as HealthMonitorOptions['router'];
    const store = new MemoryStore();
    const seeded: SeedResult[] = [];
    const monitor = createHealthMonitor({ config, router, store, clock, onSeeded: (s) => seeded.push(s) });
    let evaluations = 0;
    monitor.detector.events.on('evaluated', () => evaluations++);
    return { clock, events, store, seeded, monitor, evaluations: () => evaluations };
  };
  const attempt = (atMs: number, outcome: 'ok' | 'server_error') => ({ requestId: `r${atMs}`, route: 'smart', deployment: 'gpt', provider: 'openai' as const, model: 'gpt-x', outcome, startedAtMs: atMs, latencyMs: 10, kind: 'first' as const });

  it('follows traffic while following, and seeds what it did not watch from the store when it takes over', async () => {
    const { clock, events, store, seeded, monitor } = setup();
    await store.addRollups([{ minute: T, scope: 'deployment', id: 'gpt', source: 'client', outcomes: { server_error: 9, ok: 1 }, latencyHistogram: [], ttftHistogram: [], latencySumMs: 0, inputTokens: 0, outputTokens: 0, cost: 0 }]);
    monitor.watch();
    events.emit('attempt', attempt(clock.now(), 'server_error'));
    expect(monitor.windows.evaluateDeployment('gpt').short.attempts).toBe(1); // watched without leading
    await monitor.lead();
    expect(seeded).toEqual([{ minutes: 1, attempts: 10 }]);
    expect(monitor.windows.badRun('gpt')?.startMs).toBe(T);
    await monitor.stop();
  });

  it('ends up following, not leading, when the lease is lost while the takeover is still seeding', async () => {
    const { clock, store, monitor, evaluations } = setup();
    let release = (): void => undefined;
    const read = store.readRollups.bind(store);
    store.readRollups = async (q) => {
      await new Promise<void>((r) => (release = r));
      return read(q);
    };
    monitor.watch();
    const leading = monitor.lead();
    await new Promise((r) => setImmediate(r)); // the takeover is now reading the store
    const following = monitor.stepDown();
    release();
    await Promise.all([leading, following]);
    store.readRollups = read;
    for (let i = 0; i < 5; i++) {
      clock.advance(10_000);
      await new Promise((r) => setImmediate(r));
    }
    expect(evaluations()).toBe(0);
    // And it can lead again later.
    await monitor.lead();
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    expect(evaluations()).toBe(1);
    await monitor.stop();
  });
});
