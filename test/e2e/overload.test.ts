/**
 * End to end: overload protection. A flood beyond the gateway's capacity sheds batch traffic first (429
 * with Retry-After) while interactive traffic keeps succeeding, nobody waits past the queue cap, and the
 * queue stays bounded; a deployment at its concurrency limit spills its excess onto the fallback instead
 * of being flooded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

let keel: RunningKeel | undefined;

afterEach(async () => {
  await keel?.stop();
  keel = undefined;
});

async function start(resilience: Record<string, unknown>): Promise<RunningKeel> {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: { token_delay_ms: 0, models: [{ name: 'sim-primary', latency_ms: 300 }, { name: 'sim-fallback', latency_ms: 300 }] },
      resilience: { adaptive_throttle: { enabled: false }, ...resilience },
      deployments: [
        { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai-compatible', model: 'sim-fallback', simulated: true },
      ],
      routes: { smart: { deployments: ['primary', 'fallback'] } },
    },
  });
  return keel;
}

async function call(url: string, priority: 'interactive' | 'batch'): Promise<{ status: number; retryAfter: string | null; ms: number; deployment: string | null }> {
  const started = Date.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-keel-priority': priority },
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started, deployment: res.headers.get('x-keel-deployment') };
}

describe('load shedding', () => {
  it('sheds batch before interactive, answers 429 with Retry-After, and bounds the queue and the wait', async () => {
    const { url, gateway } = await start({ admission: { max_concurrent: 4, max_queue: 8, max_wait_ms: 3000 } });
    const shedRecords: string[] = [];
    gateway.router.events.on('request', (r) => {
      if (r.outcome === 'rate_limited' && r.attempts.length === 0) shedRecords.push(r.priority);
    });
    let maxQueued = 0;
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, gateway.router.policies.admission.queued)), 5);
    const batch = Array.from({ length: 30 }, () => call(url, 'batch'));
    await new Promise((r) => setTimeout(r, 50));
    const interactive = Array.from({ length: 6 }, () => call(url, 'interactive'));
    const [batchResults, interactiveResults] = await Promise.all([Promise.all(batch), Promise.all(interactive)]);
    clearInterval(sampler);

    expect(interactiveResults.map((r) => r.status)).toEqual(Array(6).fill(200));
    const shed = batchResults.filter((r) => r.status === 429);
    expect(shed.length).toBeGreaterThanOrEqual(18);
    expect(shed.every((r) => r.retryAfter === '1')).toBe(true);
    expect(batchResults.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(maxQueued).toBeLessThanOrEqual(8);
    // Shed requests are reported like any other, so metrics and SLOs count them.
    expect(shedRecords.length).toBe(shed.length);
    expect(shedRecords.every((p) => p === 'batch')).toBe(true);
    // Nobody waited in the queue past its cap (3 s) plus the answers ahead of it.
    expect(Math.max(...batchResults.map((r) => r.ms), ...interactiveResults.map((r) => r.ms))).toBeLessThan(3000 + 2000);
  });

  it('spills a saturated deployment onto the fallback instead of flooding it', async () => {
    const { url, simulator } = await start({ concurrency: { initial: 2, max: 2 } });
    const results = await Promise.all(Array.from({ length: 4 }, () => call(url, 'interactive')));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(simulator!.stats().byModel).toEqual({ 'sim-primary': 2, 'sim-fallback': 2 });
  });

  it('answers 429 when every deployment of the route is at capacity', async () => {
    const { url } = await start({ concurrency: { initial: 1, max: 1 } });
    const results = await Promise.all(Array.from({ length: 3 }, () => call(url, 'interactive')));
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 429]);
  });
});
