import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { HealthWindows } from '../health/health-windows.js';
import { IncidentDetector } from '../health/incident-detector.js';
import { MemoryStore } from '../health/__fixtures__/memory-store.js';
import type { Incident } from '../store/store.js';
import { signWebhook, verifyWebhookSignature, WebhookDispatcher, type DeliveryReport } from './webhooks.js';

const T = Date.UTC(2025, 0, 1, 12);
const SECRET = 'whsec_test_0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A loopback receiver answering each POST with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[] = [200]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(statuses[Math.min(received.length - 1, statuses.length - 1)]!).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/keel`, received };
}

const incident: Incident = {
  id: 'inc-1',
  component: 'deployment:gpt-direct',
  title: 'Outage on gpt-direct (openai)',
  status: 'investigating',
  impact: 'major_outage',
  openedAt: T,
  impactStart: T - 60_000,
  updates: [{ at: T, status: 'investigating', message: 'Keel is seeing failures.', author: 'keel' }],
};

function dispatcher(url: string, clock: ManualClock, reports: DeliveryReport[] = []) {
  return new WebhookDispatcher({ endpoints: [{ url, secret: SECRET }], clock, random: () => 1, onDelivery: (r) => reports.push(r) });
}

describe('WebhookDispatcher', () => {
  it('POSTs the incident as JSON with an HMAC signature over the timestamp and raw body', async () => {
    const clock = new ManualClock(T);
    const { url, received } = await receiver();
    const hooks = dispatcher(url, clock);
    hooks.send('incident.opened', incident, incident.updates[0]);
    await hooks.idle();
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['x-keel-event']).toBe('incident.opened');
    expect(headers['x-keel-timestamp']).toBe(String(T / 1_000));
    expect(headers['x-keel-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const verify = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({ secret: SECRET, body, timestamp: headers['x-keel-timestamp'] as string, signature: headers['x-keel-signature'] as string, nowMs: T + 1_000, ...overrides });
    expect(verify({})).toBe(true);
    expect(verify({ body: body.replace('gpt-direct', 'gpt-backup') })).toBe(false);
    expect(verify({ secret: 'another secret' })).toBe(false);
    // A replay later than the tolerance is refused, and so is the same body with a new timestamp.
    expect(verify({ nowMs: T + 10 * 60_000 })).toBe(false);
    expect(verify({ timestamp: String(T / 1_000 + 600), nowMs: T + 600_000 })).toBe(false);
    const payload = JSON.parse(body) as { id: string; event: string; incident: Incident; update: unknown };
    expect(payload).toMatchObject({ event: 'incident.opened', incident: { id: 'inc-1', status: 'investigating' }, update: { status: 'investigating' } });
    expect(payload.id).toBe(headers['x-keel-delivery']);
  });

  it('retries a failing receiver with exponential backoff on the clock, then gives up', async () => {
    const clock = new ManualClock(T);
    const { url, received } = await receiver([500]);
    const reports: DeliveryReport[] = [];
    const hooks = dispatcher(url, clock, reports);
    hooks.send('incident.updated', incident);
    for (let attempt = 1; attempt < hooks.settings.maxAttempts; attempt++) {
      await vi.waitFor(() => expect(reports).toHaveLength(attempt));
      expect(received).toHaveLength(attempt);
      // Nothing is sent again until the clock has moved by the backoff.
      clock.advance(reports.at(-1)!.retryInMs! - 1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(received).toHaveLength(attempt);
      clock.advance(1);
    }
    await hooks.idle();
    expect(received).toHaveLength(6);
    expect(reports.map((r) => r.retryInMs)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, undefined]);
    expect(reports.at(-1)).toMatchObject({ outcome: 'gave_up', status: 500, attempt: 6 });
    // Every retry is the same delivery, signed afresh.
    expect(new Set(received.map((r) => r.headers['x-keel-delivery'])).size).toBe(1);
    expect(new Set(received.map((r) => r.headers['x-keel-timestamp'])).size).toBe(6);
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
  });

  it('recovers when the receiver comes back, and does not retry a 4xx refusal', async () => {
    const clock = new ManualClock(T);
    const flaky = await receiver([503, 503, 200]);
    const refusing = await receiver([401]);
    const reports: DeliveryReport[] = [];
    const hooks = new WebhookDispatcher({ endpoints: [{ url: flaky.url, secret: SECRET }, { url: refusing.url, secret: SECRET, events: ['incident.resolved'] }], clock, random: () => 0, onDelivery: (r) => reports.push(r) });
    hooks.send('incident.updated', incident);
    hooks.send('incident.resolved', { ...incident, status: 'resolved' });
    await vi.waitFor(() => expect(reports.filter((r) => r.outcome === 'retrying').length).toBe(2));
    expect(reports.find((r) => r.url === refusing.url)).toMatchObject({ outcome: 'gave_up', status: 401, attempt: 1 });
    clock.advance(500);
    await hooks.idle();
    expect(flaky.received).toHaveLength(4);
    expect(refusing.received).toHaveLength(1);
    expect(reports.filter((r) => r.outcome === 'delivered')).toHaveLength(2);
  });

  it('never blocks the sender: a hung receiver leaves send() returning at once', async () => {
    const clock = new ManualClock(T);
    const hung = createServer(() => undefined);
    servers.push(hung);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/`;
    const reports: DeliveryReport[] = [];
    const hooks = new WebhookDispatcher({ endpoints: [{ url, secret: SECRET }], clock, settings: { timeoutMs: 200, maxAttempts: 1 }, onDelivery: (r) => reports.push(r) });
    const started = performance.now();
    expect(hooks.send('incident.opened', incident)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(50);
    expect(hooks.pendingCount).toBe(1);
    await hooks.idle();
    expect(reports[0]).toMatchObject({ outcome: 'gave_up', error: 'timed out' });
    hung.closeAllConnections();
  });

  it('delivers the incident detector’s events', async () => {
    const clock = new ManualClock(T);
    const { url, received } = await receiver();
    const store = new MemoryStore();
    const health = new HealthWindows({ clock, deployments: [] });
    const detector = new IncidentDetector({ store, health, clock });
    const hooks = dispatcher(url, clock);
    hooks.attach(detector.events);
    const opened = await detector.openIncident('provider:openai', 'OpenAI is down', 'major_outage', 'Investigating.', 'alice');
    await detector.resolve(opened.id, 'Recovered.', 'alice');
    await hooks.idle();
    expect(received.map((r) => r.headers['x-keel-event'])).toEqual(['incident.opened', 'incident.resolved']);
    expect(signWebhook(SECRET, received[1]!.headers['x-keel-timestamp'] as string, received[1]!.body)).toBe(received[1]!.headers['x-keel-signature']);
  });
});
