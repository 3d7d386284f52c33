/**
 * End to end: the public status page, its JSON and feed, and readiness, served by a running Keel whose
 * incident detector and store are wired in; nothing secret on any of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

const KEY = 'sk-test-STATUS-SECRET-0123456789';
let keel: RunningKeel;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: { token_delay_ms: 0 },
      deployments: [
        { id: 'primary', provider: 'anthropic', model: 'sim-primary', simulated: true, api_key: KEY },
        { id: 'fallback', provider: 'openai', model: 'sim-fallback', simulated: true },
      ],
      routes: { smart: { deployments: ['primary', 'fallback'] } },
      status_page: { title: 'Acme AI status' },
    },
  });
});

afterAll(async () => {
  await keel.stop();
});

describe('status page and readiness', () => {
  it('answers /readyz with the store checked', async () => {
    const res = await fetch(`${keel.url}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(body.status).toBe('ready');
    expect(body.checks.find((c) => c.name === 'store')?.ok).toBe(true);
  });

  it('shows every provider and deployment, an operator incident with its timeline, and no secret', async () => {
    await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const incident = await keel.services.monitor.detector.openIncident('deployment:primary', 'Elevated errors on primary', 'major_outage', 'We are investigating elevated errors.', 'operator');
    expect(incident.status).toBe('investigating');

    const html = await (await fetch(`${keel.url}/status`)).text();
    expect(html).toContain('Acme AI status');
    expect(html).toContain('primary');
    expect(html).toContain('Elevated errors on primary');

    const summary = (await (await fetch(`${keel.url}/status.json`)).json()) as {
      page: { name: string };
      components: { name: string; status: string }[];
      incidents: { name: string; status: string; incident_updates: unknown[] }[];
      status: { indicator: string };
    };
    expect(summary.page.name).toBe('Acme AI status');
    expect(summary.components.map((c) => c.name).join(' ')).toMatch(/primary/);
    expect(summary.incidents[0]).toMatchObject({ name: 'Elevated errors on primary', status: 'investigating' });
    expect(summary.status.indicator).not.toBe('none');

    const feed = await (await fetch(`${keel.url}/status/feed.atom`)).text();
    expect(feed).toContain('<feed');
    for (const text of [html, JSON.stringify(summary), feed]) expect(text).not.toContain(KEY);

    await keel.services.monitor.detector.resolve(incident.id, 'Recovered.', 'operator');
    // Persisted with its whole timeline (the public page shows it within its 10 s cache).
    const stored = await keel.store.getIncident(incident.id);
    expect(stored?.status).toBe('resolved');
    expect(stored?.updates.map((u) => u.status)).toEqual(['investigating', 'resolved']);
  });
});
