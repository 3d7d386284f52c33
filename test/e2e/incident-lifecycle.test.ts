/**
 * End to end: an incident from real traffic. Keel serves a steady stream of requests while the simulator
 * takes the primary down and brings it back; the incident detector (its timings compressed from minutes
 * to seconds through the config) opens an incident, walks it through the lifecycle, resolves it, and
 * stores an impact window that matches the fault window. Clients never noticed: the fallback answered.
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
      simulator: { token_delay_ms: 0 },
      resilience: { breaker: { consecutive_failures: 3, open_ms: 500, max_open_ms: 1000 }, adaptive_throttle: { enabled: false } },
      health: {
        windows: { bucket_ms: 250, short_window_ms: 2000, long_window_ms: 4000, min_attempts_short: 3, min_attempts_long: 3 },
        incidents: { evaluate_every_ms: 200, open_after_ms: 1000, identify_after_ms: 500, monitor_after_ms: 1000, resolve_after_ms: 2000, reopen_after_ms: 1000 },
      },
      deployments: [
        { id: 'primary', provider: 'anthropic', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai', model: 'sim-fallback', simulated: true },
      ],
      routes: { smart: { deployments: ['primary', 'fallback'], retry: { max_attempts_per_deployment: 1 } } },
    },
  });
});

afterAll(async () => {
  await keel.stop();
});

async function drive(untilMs: number): Promise<number[]> {
  const statuses: number[] = [];
  while (Date.now() < untilMs) {
    const res = await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
    });
    statuses.push(res.status);
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 25));
  }
  return statuses;
}

describe('an incident from real traffic', () => {
  it('opens during the outage, walks the lifecycle, resolves after recovery, with the right impact window', async () => {
    await drive(Date.now() + 1000);
    const faultStart = Date.now();
    keel.simulator!.setFault('sim-primary', { type: 'error', status: 529 });
    const during = await drive(Date.now() + 4000);
    const open = await keel.store.listIncidents({ openOnly: true });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ component: 'deployment:primary' });

    keel.simulator!.clearFaults();
    const faultEnd = Date.now();
    const after = await drive(Date.now() + 7000);

    const [incident] = await keel.store.listIncidents({ component: 'deployment:primary' });
    expect(incident?.status).toBe('resolved');
    const statuses = incident!.updates.map((u) => u.status);
    expect(statuses[0]).toBe('investigating');
    expect(statuses).toContain('identified');
    expect(statuses).toContain('monitoring');
    expect(statuses.at(-1)).toBe('resolved');
    expect(incident!.updates.find((u) => u.status === 'identified')?.message).toMatch(/overload|capacity/i);
    // The measured impact window is the fault window, to the minute.
    expect(incident!.impactStart).toBe(Math.floor(faultStart / 60_000) * 60_000);
    expect(incident!.impactEnd).toBeGreaterThanOrEqual(Math.floor(faultEnd / 60_000) * 60_000 - 60_000);
    expect(incident!.impactEnd).toBeLessThanOrEqual(Math.floor(faultEnd / 60_000) * 60_000 + 60_000);
    // Clients never saw the outage.
    expect([...during, ...after].every((s) => s === 200)).toBe(true);
  });
});
