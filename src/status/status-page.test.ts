import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../core/clock.js';
import type { HealthSnapshot } from '../health/health-windows.js';
import { MemoryStore } from '../health/__fixtures__/memory-store.js';
import { buildStatusModel } from './build-status-model.js';
import { StatusPage, type HttpResponse } from './status-page.js';
import { outageScenario, SECRET, T, M, DAY, type OutageScenario } from './__fixtures__/outage-scenario.js';

const iso = z.iso.datetime();
const componentStatus = z.enum(['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance']);
const statuspageComponent = z.object({
  id: z.string(),
  name: z.string(),
  status: componentStatus,
  created_at: iso,
  updated_at: iso,
  position: z.number().int(),
  description: z.string().nullable(),
  showcase: z.boolean(),
  start_date: z.string().nullable(),
  group_id: z.string().nullable(),
  page_id: z.string(),
  group: z.boolean(),
  only_show_if_degraded: z.boolean(),
  components: z.array(z.string()).optional(),
});
const incidentUpdate = z.object({
  id: z.string(),
  status: z.string(),
  body: z.string(),
  incident_id: z.string(),
  created_at: iso,
  updated_at: iso,
  display_at: iso,
  affected_components: z.array(z.object({ code: z.string(), name: z.string(), old_status: componentStatus, new_status: componentStatus })),
  deliver_notifications: z.boolean(),
  custom_tweet: z.string().nullable(),
  tweet_id: z.string().nullable(),
});
const statuspageIncident = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(['investigating', 'identified', 'monitoring', 'resolved', 'postmortem']),
  created_at: iso,
  updated_at: iso,
  monitoring_at: iso.nullable(),
  resolved_at: iso.nullable(),
  impact: z.enum(['none', 'minor', 'major', 'critical']),
  shortlink: z.string().nullable(),
  started_at: iso,
  page_id: z.string(),
  incident_updates: z.array(incidentUpdate).min(1),
  components: z.array(statuspageComponent),
});
/** Atlassian Statuspage's /api/v2/summary.json, as documented. */
const summarySchema = z.object({
  page: z.object({ id: z.string(), name: z.string(), url: z.string().nullable(), time_zone: z.string(), updated_at: iso }),
  components: z.array(statuspageComponent),
  incidents: z.array(statuspageIncident),
  scheduled_maintenances: z.array(statuspageIncident.extend({ status: z.enum(['scheduled', 'in_progress', 'verifying', 'completed']), impact: z.string(), scheduled_for: iso, scheduled_until: iso })),
  status: z.object({ indicator: z.enum(['none', 'minor', 'major', 'critical']), description: z.string() }),
});

let scenario: OutageScenario;
let page: StatusPage;
let responses: { html: HttpResponse; summary: HttpResponse; incidents: HttpResponse; feed: HttpResponse };

beforeAll(async () => {
  scenario = await outageScenario();
  page = new StatusPage({ store: scenario.store, topology: scenario.topology, clock: scenario.clock, health: scenario.health, page: { name: 'Example AI status', url: 'https://status.example.test' } });
  responses = { html: await page.html(), summary: await page.summaryJson(), incidents: await page.incidentsJson(), feed: await page.feed() };
});

describe('status.json', () => {
  it('validates against the Statuspage summary shape', () => {
    const summary = summarySchema.parse(JSON.parse(responses.summary.body));
    expect(responses.summary.headers['content-type']).toMatch(/^application\/json/);
    expect(summary.components.map((c) => c.id)).toEqual(['keel', 'provider:openai', 'deployment:gpt-direct', 'deployment:gpt-backup', 'provider:anthropic', 'deployment:claude-direct']);
    const byId = new Map(summary.components.map((c) => [c.id, c]));
    expect(byId.get('deployment:gpt-direct')!.status).toBe('major_outage');
    expect(byId.get('provider:openai')).toMatchObject({ group: true, status: 'partial_outage', components: ['deployment:gpt-direct', 'deployment:gpt-backup'] });
    expect(byId.get('deployment:gpt-direct')!.group_id).toBe('provider:openai');
    expect(byId.get('keel')!.status).toBe('operational');
    // Keel keeps answering (failover), so the page is "minor": a provider is down, clients are fine.
    expect(summary.status).toEqual({ indicator: 'minor', description: 'Partially Degraded Service' });
    expect(summary.incidents).toHaveLength(1);
    const incident = summary.incidents[0]!;
    expect(incident).toMatchObject({ name: 'Outage on gpt-direct (openai)', impact: 'critical', started_at: new Date(T).toISOString() });
    expect(incident.incident_updates.map((u) => u.status)).toEqual(['identified', 'investigating']);
    expect(incident.components.map((c) => c.id)).toEqual(['deployment:gpt-direct']);
  });

  it('names the region beside a deployment that declares one', async () => {
    const clock = new ManualClock(T);
    const snapshot: HealthSnapshot = { atMs: T, keel: { component: 'keel', status: 'operational', reason: '' }, providers: [], deployments: [], routes: [] };
    const topology = { deployments: [{ id: 'claude-east', provider: 'bedrock', region: 'us-east-1' }, { id: 'claude-direct', provider: 'anthropic' }], routes: [] };
    const model = await buildStatusModel({ store: new MemoryStore(), topology, clock, health: { evaluate: () => snapshot }, days: 1 });
    expect(model.components.filter((c) => c.kind === 'deployment').map((c) => c.name)).toEqual(['claude-east (us-east-1)', 'claude-direct']);
  });

  it('says critical when Keel itself fails its clients', async () => {
    const clock = new ManualClock(T);
    const snapshot: HealthSnapshot = { atMs: T, keel: { component: 'keel', status: 'major_outage', reason: 'all down' }, providers: [], deployments: [], routes: [] };
    const model = await buildStatusModel({ store: new MemoryStore(), topology: { deployments: [], routes: [] }, clock, health: { evaluate: () => snapshot }, days: 3 });
    expect(model.overall).toMatchObject({ indicator: 'critical', description: 'Major Service Outage' });
  });

  it('lists every incident of the period in incidents.json, newest first', () => {
    const body = JSON.parse(responses.incidents.body) as { incidents: { id: string; status: string; started_at: string }[] };
    expect(body.incidents.map((i) => [i.id, i.status])).toEqual([
      ['inc-1', 'identified'],
      ['inc-past', 'resolved'],
    ]);
  });
});

describe('GET /status', () => {
  it('renders the components, their status, uptime bars and the incident with its timeline', () => {
    const { html } = responses;
    expect(html.status).toBe(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['content-security-policy']).toMatch(/default-src 'none'.*script-src 'sha256-/);
    for (const name of ['gpt-direct', 'gpt-backup', 'claude-direct', 'Provider openai', 'Provider anthropic', 'Keel (what clients receive)']) expect(html.body).toContain(name);
    expect(html.body).toMatch(/id="deployment:gpt-direct" data-status="major_outage"/);
    expect(html.body).toContain('<span class="pill s-major_outage">Major outage</span>');
    expect(html.body.match(/<svg class="bars"/g)).toHaveLength(6);
    expect(html.body.match(/<rect x="\d+" y="0" width="4"/g)).toHaveLength(6 * 90);
    expect(html.body).toContain('<h2>Active incidents</h2>');
    expect(html.body).toContain('Outage on gpt-direct (openai)');
    expect(html.body).toMatch(/<span class="st">identified<\/span>.*<span class="st">investigating<\/span>/s);
    expect(html.body).toContain('failed over to claude-direct');
    expect(html.body).toContain('Elevated errors on claude-direct (anthropic)');
    expect(html.body).toMatch(/Incident: Elevated errors on claude-direct/);
    expect(html.body).toContain('<svg class="chart"');
    expect(html.body).toMatch(/<td>smart<\/td><td>24 hours<\/td>/);
    expect(html.body).toContain('<script type="module">');
    expect(html.body).not.toMatch(/<(link|script|img)[^>]+(src|href)="https?:/);
  });

  it('shows what providers delivered against what clients received, per route', async () => {
    const model = await page.model();
    const smart = model.slis.find((s) => s.route === 'smart' && s.windowLabel === '24 hours')!;
    // The breaker keeps most calls off the dead deployment, so providers look better per attempt than the
    // outage felt; still short of what clients got.
    expect(smart.providers.ratio!).toBeLessThan(0.99);
    expect(smart.providers.total - smart.providers.good).toBeGreaterThan(10);
    expect(smart.clients.ratio).toBe(1);
    const gpt = model.components.find((c) => c.id === 'deployment:gpt-direct')!;
    const today = gpt.days.at(-1)!;
    expect(today.majorMinutes).toBeGreaterThanOrEqual(10);
    expect(today.majorMinutes).toBeLessThanOrEqual(11);
    const claude = model.components.find((c) => c.id === 'deployment:claude-direct')!;
    const badDay = claude.days.find((d) => d.dayStartMs === Math.floor(T / DAY) * DAY - 5 * DAY)!;
    expect(badDay).toMatchObject({ majorMinutes: 60, incidents: [{ id: 'inc-past' }] });
    expect(badDay.uptime!).toBeCloseTo(1 - 60 / 1440, 6);
    expect(claude.days[0]!.uptime).toBeUndefined();
  });

  it('puts no secret and no tenant data on any public surface', () => {
    for (const [name, response] of Object.entries(responses)) {
      // A deployment's region is shown on purpose (which region of a cloud is down is what customers ask);
      // its URL, key, headers and tenants never are.
      for (const forbidden of [SECRET, 'internal-gateway.example.com', 'org-tenant-acme-private', 'acme', 'alice@example.com', 'req_']) {
        expect({ name, found: response.body.includes(forbidden) ? forbidden : undefined }).toEqual({ name, found: undefined });
      }
    }
  });
});

describe('provider grouping', () => {
  it('groups the active incidents of one provider under one heading', async () => {
    const store = new MemoryStore();
    for (const id of ['gpt-direct', 'gpt-backup']) {
      await store.saveIncident({
        id: `inc-${id}`,
        component: `deployment:${id}`,
        title: `Outage on ${id} (openai)`,
        status: 'investigating',
        impact: 'major_outage',
        openedAt: T,
        impactStart: T,
        updates: [{ at: T, status: 'investigating', message: 'Failing.', author: 'keel' }],
      });
    }
    const grouped = new StatusPage({ store, topology: scenario.topology, clock: new ManualClock(T + M), days: 2 });
    const html = (await grouped.html()).body;
    expect(html).toMatch(/<section class="provider-group"><h3>Provider openai: 2 incidents<\/h3>.*inc-gpt-direct.*inc-gpt-backup/s);
    const model = await grouped.model();
    expect(model.components.find((c) => c.id === 'deployment:gpt-backup')!.status).toBe('major_outage');
    expect(model.incidents.active.map((i) => i.provider)).toEqual(['openai', 'openai']);
  });
});

describe('Atom feed', () => {
  it('has the feed header and one entry per incident', () => {
    const { body, headers } = responses.feed;
    expect(headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(body.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">')).toBe(true);
    expect(body.match(/<entry>/g)).toHaveLength(2);
    expect(body).toContain('<id>urn:keel:incident:inc-1</id>');
    expect(body).toContain('<link rel="alternate" type="text/html" href="https://status.example.test/status#inc-1"/>');
    // Content is escaped HTML: no raw tags inside <content>.
    expect(body).toMatch(/<content type="html">&lt;p&gt;Affected: gpt-direct/);
  });
});

describe('StatusPage.handle', () => {
  it('routes the four paths, answers HEAD without a body and 405 to other methods', async () => {
    expect((await page.handle('GET', '/status'))!.status).toBe(200);
    expect((await page.handle('GET', '/status/'))!.headers['content-type']).toMatch(/html/);
    expect((await page.handle('GET', '/status.json'))!.headers['access-control-allow-origin']).toBe('*');
    expect((await page.handle('GET', '/status/incidents.json'))!.status).toBe(200);
    expect((await page.handle('HEAD', '/status/feed.atom'))!).toMatchObject({ status: 200, body: '' });
    expect((await page.handle('POST', '/status'))!).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
    expect(await page.handle('GET', '/v1/models')).toBeUndefined();
  });

  it('answers 503 when the store fails, and recovers on the next request', async () => {
    const store = new MemoryStore();
    let fail = true;
    const failing = Object.assign(Object.create(store) as MemoryStore, {
      listIncidents: async (q: Parameters<MemoryStore['listIncidents']>[0]) => {
        if (fail) throw new Error('database is locked');
        return store.listIncidents(q);
      },
    });
    const errors: unknown[] = [];
    const broken = new StatusPage({ store: failing, topology: scenario.topology, clock: new ManualClock(T), onError: (e) => errors.push(e), days: 3 });
    expect(await broken.summaryJson()).toMatchObject({ status: 503, headers: { 'retry-after': '10' } });
    expect(errors).toHaveLength(1);
    fail = false;
    expect((await broken.summaryJson()).status).toBe(200);
  });

  it('caches the model for a few seconds of clock time', async () => {
    const clock = new ManualClock(T + 100 * M);
    const fresh = new StatusPage({ store: scenario.store, topology: scenario.topology, clock, days: 3 });
    const first = await fresh.model();
    expect(await fresh.model()).toBe(first);
    clock.advance(10_000);
    expect(await fresh.model()).not.toBe(first);
  });
});
