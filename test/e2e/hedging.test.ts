/**
 * End to end: hedged requests. One deployment is sometimes very slow; a hedged route asks the fallback
 * too once the primary has not answered within the hedge delay, which cuts the tail latency, while the
 * extra upstream calls stay within the retry budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

let keel: RunningKeel;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: { token_delay_ms: 0, seed: 7 },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai-compatible', model: 'sim-fallback', simulated: true },
      ],
      routes: {
        plain: { deployments: ['primary', 'fallback'] },
        hedged: { deployments: ['primary', 'fallback'], hedge: { delay_ms: 150 } },
      },
    },
  });
});

afterAll(async () => {
  await keel.stop();
});

async function run(model: string, stream: boolean, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `question ${i}` }] }),
    });
    expect(res.status).toBe(200);
    // Time to the first byte of the answer: for a stream, its first token.
    const reader = res.body!.getReader();
    await reader.read();
    times.push(performance.now() - started);
    while (!(await reader.read()).done);
  }
  return times.sort((a, b) => a - b);
}

const p99 = (sorted: number[]): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;

describe('hedged requests', () => {
  it.each([false, true])('cut the tail of time to first answer (stream: %s) within the retry budget', async (stream) => {
    const n = 40;
    keel.simulator!.setFault('sim-primary', { type: stream ? 'slow_first_token' : 'latency', ms: 1500, rate: 0.1 });

    keel.simulator!.resetStats();
    keel.gateway.router.resetPolicies();
    const plain = await run('plain', stream, n);
    const slowPlain = keel.simulator!.stats().faultsApplied;

    keel.simulator!.resetStats();
    keel.gateway.router.resetPolicies();
    const hedged = await run('hedged', stream, n);
    const upstream = keel.simulator!.stats().total;

    expect(Object.values(slowPlain).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(p99(plain)).toBeGreaterThan(1400);
    expect(p99(hedged)).toBeLessThan(1000);
    // Every hedge is an extra upstream call charged to the retry budget: 20% of requests, at least 3.
    expect(upstream).toBeLessThanOrEqual(n + Math.max(3, Math.ceil(0.2 * n)));
    keel.simulator!.clearFaults();
  });
});
