/**
 * End to end: two replicas sharing Redis share their degraded answers. One replica answers a question;
 * when every provider is down, the other replica — which never saw that question — serves the remembered
 * answer, marked `x-keel-degraded: cache`; and each replica's health counts the other's traffic.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { silentLogger } from '../support/silent-logger.js';
import { TEST_REDIS_URL, requireService } from '../support/test-services.js';

await requireService('redis');

const ROUTE = `cached-${randomBytes(4).toString('hex')}`;
let sim: Simulator;
const replicas: RunningKeel[] = [];

beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0 });
  const config = {
    cluster: { redis_url: TEST_REDIS_URL },
    resilience: { adaptive_throttle: { enabled: false } },
    deployments: [{ id: `dep-${ROUTE}`, provider: 'openai', model: 'sim-answer', base_url: `${sim.url}/v1` }],
    routes: { [ROUTE]: { deployments: [`dep-${ROUTE}`], degraded: { cache_ttl_s: 60 }, retry: { max_attempts_per_deployment: 1 } } },
  };
  for (let i = 0; i < 2; i++) replicas.push(await startKeel({ port: 0, logger: silentLogger(), env: {}, config }));
}, 60_000);

afterAll(async () => {
  await Promise.all(replicas.map((k) => k.stop()));
  await sim?.close();
});

const ask = (keel: RunningKeel) =>
  fetch(`${keel.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: ROUTE, messages: [{ role: 'user', content: 'what did the other replica hear?' }] }),
  });

describe('health across replicas', () => {
  it("counts one replica's attempts in the other replica's health windows", async () => {
    for (let i = 0; i < 5; i++) await (await ask(replicas[0]!)).arrayBuffer();
    await vi.waitFor(
      () => {
        const seen = replicas[1]!.services.monitor.windows.evaluateDeployment(`dep-${ROUTE}`).short.attempts;
        expect(seen).toBeGreaterThanOrEqual(5);
      },
      { timeout: 10_000, interval: 200 },
    );
  });
});

describe('operator breaker overrides across replicas', () => {
  it('forcing a breaker open on one replica forces it open on the others, and closing it closes them', async () => {
    const id = `dep-${ROUTE}`;
    const state = (k: RunningKeel) => k.gateway.router.policies.breakers.get(id).state.state;
    replicas[0]!.gateway.router.policies.breakers.get(id).forceOpen();
    await replicas[0]!.services.sharedBreakers!.shareForce(id, 'open');
    await vi.waitFor(() => expect(state(replicas[1]!)).toBe('forced_open'), { timeout: 5_000, interval: 50 });
    replicas[0]!.gateway.router.policies.breakers.get(id).forceClose();
    await replicas[0]!.services.sharedBreakers!.shareForce(id, 'close');
    await vi.waitFor(() => expect(state(replicas[1]!)).toBe('closed'), { timeout: 5_000, interval: 50 });
  });
});

describe('degraded answers across replicas', () => {
  it('serves on one replica the answer another remembered, when every provider is down', async () => {
    // The shared connection may still be connecting: retry until the first replica's answer is stored.
    let fresh = '';
    await vi.waitFor(
      async () => {
        const res = await ask(replicas[0]!);
        fresh = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
        sim.setFault('*', { type: 'error', status: 503 });
        const degraded = await ask(replicas[1]!);
        sim.clearFaults();
        expect(degraded.headers.get('x-keel-degraded')).toBe('cache');
        const body = (await degraded.json()) as { choices: { message: { content: string } }[] };
        expect(body.choices[0]!.message.content).toBe(fresh);
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(fresh).toContain('what did the other replica hear?');
  });
});
