/**
 * The behaviour every `Store` owes, as a vitest suite any implementation registers with its own factory
 * (SQLite here, PostgreSQL later). It tests only the interface: nothing about tables or SQL, so two
 * stores that pass it are interchangeable behind Keel.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_MS, type Incident, type RollupRow, type Store, type VendorIncident, type VirtualKeyRecord } from './store.js';

/** One isolated database per test: `open` connects to it (again, after a close), `cleanup` removes it. */
export interface StoreHarness {
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

const M = 60_000;
const T0 = Date.UTC(2025, 0, 1); // minute-aligned

export function rollup(minute: number, overrides: Partial<RollupRow> = {}): RollupRow {
  const histogram = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  return {
    minute,
    scope: 'deployment',
    id: 'claude-direct',
    source: 'client',
    outcomes: { ok: 1 },
    latencyHistogram: histogram.map((_, i) => (i === 2 ? 1 : 0)),
    ttftHistogram: [...histogram],
    latencySumMs: 200,
    inputTokens: 10,
    outputTokens: 5,
    cost: 0.25,
    ...overrides,
  };
}

export function incident(id: string, openedAt: number, overrides: Partial<Incident> = {}): Incident {
  return {
    id,
    component: 'deployment:claude-direct',
    title: `Elevated errors (${id})`,
    status: 'investigating',
    impact: 'partial_outage',
    openedAt,
    impactStart: openedAt - 2 * M,
    updates: [{ at: openedAt, status: 'investigating', message: 'errors above 20%', author: 'keel', evidence: { server_error: 12, ok: 30 } }],
    ...overrides,
  };
}

export function vendorIncident(id: string, startedAt: number, overrides: Partial<VendorIncident> = {}): VendorIncident {
  return {
    source: 'anthropic',
    id,
    title: `Elevated errors on Claude API (${id})`,
    status: 'investigating',
    impact: 'major',
    components: ['Claude API'],
    deployments: ['claude-direct'],
    startedAt,
    firstSeenAt: startedAt + M,
    lastSeenAt: startedAt + 2 * M,
    url: `https://status.example/incidents/${id}`,
    updates: [{ at: startedAt, status: 'investigating', body: 'We are investigating — élevé.' }],
    ...overrides,
  };
}

function key(id: string, hash: string, createdAt: number): VirtualKeyRecord {
  return {
    id,
    name: `key ${id}`,
    hash,
    prefix: `keel_${id}`,
    tenant: 'acme',
    allowedModels: ['smart'],
    rpm: 60,
    tpm: null,
    dailyBudgetUsd: 5.5,
    monthlyBudgetUsd: null,
    priority: 'interactive',
    createdAt,
    expiresAt: null,
    revokedAt: null,
  };
}

export function describeStoreContract(name: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${name}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = await makeHarness();
      store = await harness.open();
      await store.migrate();
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    async function reopen(): Promise<Store> {
      await store.close();
      store = await harness.open();
      await store.migrate();
      return store;
    }

    it('migrate is safe to call again', async () => {
      await store.migrate();
      await store.addRollups([rollup(T0)]);
      await store.migrate();
      expect(await store.readRollups({ fromMinute: T0, toMinute: T0 + M })).toHaveLength(1);
    });

    it('adds rollups of the same key across calls, within a batch and across reopen', async () => {
      const a = rollup(T0, { outcomes: { ok: 3, server_error: 1 }, ttftHistogram: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
      const b = rollup(T0, { outcomes: { ok: 2, timeout: 4 }, latencyHistogram: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5], cost: 0.5 });
      await store.addRollups([a]);
      await store.addRollups([b, rollup(T0)]);
      await reopen();
      await store.addRollups([rollup(T0)]);
      const [row, ...rest] = await store.readRollups({ fromMinute: T0, toMinute: T0 + M });
      expect(rest).toEqual([]);
      expect(row).toMatchObject({ minute: T0, scope: 'deployment', id: 'claude-direct', source: 'client' });
      expect(row!.outcomes).toEqual({ ok: 7, server_error: 1, timeout: 4 });
      expect(row!.latencyHistogram).toEqual([0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 5]);
      expect(row!.ttftHistogram).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
      expect(row!.latencySumMs).toBe(800);
      expect([row!.inputTokens, row!.outputTokens]).toEqual([40, 20]);
      expect(row!.cost).toBeCloseTo(1.25, 9);
    });

    it('reads rollups by scope, id, source and half-open minute range, oldest first', async () => {
      await store.addRollups([
        rollup(T0 + 2 * M),
        rollup(T0),
        rollup(T0 + M, { source: 'probe' }),
        rollup(T0 + M, { id: 'gpt-direct' }),
        rollup(T0 + M, { scope: 'route', id: 'smart', outcomes: { ok: 1, degraded: 2 } }),
        rollup(T0 + 3 * M),
      ]);
      const all = await store.readRollups({ fromMinute: T0, toMinute: T0 + 3 * M });
      expect(all.map((r) => r.minute)).toEqual([T0, T0 + M, T0 + M, T0 + M, T0 + 2 * M]);
      const ids = (rows: RollupRow[]): string[] => rows.map((r) => `${r.minute - T0}/${r.scope}/${r.id}/${r.source}`);
      expect(ids(await store.readRollups({ fromMinute: T0, toMinute: T0 + 4 * M, scope: 'route' }))).toEqual([`${M}/route/smart/client`]);
      expect(ids(await store.readRollups({ fromMinute: T0, toMinute: T0 + 4 * M, id: 'gpt-direct' }))).toEqual([`${M}/deployment/gpt-direct/client`]);
      expect(ids(await store.readRollups({ fromMinute: T0, toMinute: T0 + 4 * M, source: 'probe' }))).toEqual([`${M}/deployment/claude-direct/probe`]);
      const clientClaude = await store.readRollups({ fromMinute: T0 + M, toMinute: T0 + 4 * M, scope: 'deployment', id: 'claude-direct', source: 'client' });
      expect(clientClaude.map((r) => r.minute)).toEqual([T0 + 2 * M, T0 + 3 * M]);
      expect(await store.readRollups({ fromMinute: T0 + 4 * M, toMinute: T0 + 9 * M })).toEqual([]);
    });

    it('reads samples newest first, by deployment and half-open range, at most limit', async () => {
      const sample = (at: number, deployment = 'claude-direct') => ({
        at,
        deployment,
        route: 'smart',
        outcome: 'server_error' as const,
        status: 503,
        latencyMs: 120,
        message: 'upstream said no',
        requestId: `req-${at}`,
      });
      await store.addSamples([sample(T0), sample(T0 + 1), sample(T0 + 2), sample(T0 + 3, 'gpt-direct')]);
      await store.addSamples([{ at: T0 + 4, deployment: 'claude-direct', route: 'smart', outcome: 'timeout', latencyMs: 30_000, requestId: 'r' }]);
      const newest = await store.readSamples({ deployment: 'claude-direct', from: T0, to: T0 + 10, limit: 2 });
      expect(newest).toStrictEqual([{ at: T0 + 4, deployment: 'claude-direct', route: 'smart', outcome: 'timeout', latencyMs: 30_000, requestId: 'r' }, sample(T0 + 2)]);
      const ranged = await store.readSamples({ from: T0 + 1, to: T0 + 3, limit: 10 });
      expect(ranged.map((s) => s.at)).toEqual([T0 + 2, T0 + 1]);
      expect((await store.readSamples({ from: T0, to: T0 + 10, limit: 100 })).length).toBe(5);
    });

    it('round-trips an incident with its updates and impact window, and a save replaces it', async () => {
      const open = incident('inc-1', T0);
      await store.saveIncident(open);
      expect(await store.getIncident('inc-1')).toStrictEqual(open);
      const resolved: Incident = {
        ...open,
        status: 'resolved',
        impact: 'major_outage',
        resolvedAt: T0 + 30 * M,
        impactEnd: T0 + 25 * M,
        updates: [
          ...open.updates,
          { at: T0 + 10 * M, status: 'identified', message: 'provider confirmed', author: 'alice' },
          { at: T0 + 30 * M, status: 'resolved', message: 'recovered', author: 'keel', evidence: { nested: { ok: [1, 2] } } },
        ],
      };
      await store.saveIncident(resolved);
      await store.saveIncident(resolved);
      await reopen();
      expect(await store.getIncident('inc-1')).toStrictEqual(resolved);
      expect(await store.getIncident('nope')).toBeUndefined();
    });

    it('lists incidents newest first, by component, open only, overlapping a range, limited', async () => {
      await store.saveIncident(incident('old', T0, { status: 'resolved', resolvedAt: T0 + 10 * M, impactEnd: T0 + 9 * M }));
      await store.saveIncident(incident('mid', T0 + 20 * M, { component: 'provider:openai' }));
      await store.saveIncident(incident('new', T0 + 40 * M, { status: 'monitoring' }));
      const ids = (list: Incident[]): string[] => list.map((i) => i.id);
      expect(ids(await store.listIncidents({}))).toEqual(['new', 'mid', 'old']);
      expect((await store.listIncidents({}))[0]).toStrictEqual(incident('new', T0 + 40 * M, { status: 'monitoring' }));
      expect(ids(await store.listIncidents({ openOnly: true }))).toEqual(['new', 'mid']);
      expect(ids(await store.listIncidents({ component: 'deployment:claude-direct' }))).toEqual(['new', 'old']);
      expect(ids(await store.listIncidents({ limit: 2 }))).toEqual(['new', 'mid']);
      // Overlap: `old` lived T0..T0+10m, the others are still open.
      expect(ids(await store.listIncidents({ from: T0 + 15 * M }))).toEqual(['new', 'mid']);
      expect(ids(await store.listIncidents({ from: T0 + 5 * M, to: T0 + 20 * M }))).toEqual(['old']);
      expect(ids(await store.listIncidents({ from: T0 + 5 * M, to: T0 + 20 * M + 1 }))).toEqual(['mid', 'old']);
      expect(ids(await store.listIncidents({ from: T0 + 10 * M, to: T0 + 11 * M }))).toEqual(['old']);
    });

    it('lists maintenance windows overlapping a range, by start', async () => {
      const window = (id: string, startsAt: number, endsAt: number) => ({
        id,
        component: 'deployment:claude-direct',
        startsAt,
        endsAt,
        description: 'provider upgrade',
        createdBy: 'alice',
      });
      await store.saveMaintenance(window('b', T0 + 60 * M, T0 + 120 * M));
      await store.saveMaintenance(window('a', T0, T0 + 30 * M));
      expect((await store.listMaintenance({ from: T0 - M, to: T0 + 200 * M })).map((w) => w.id)).toEqual(['a', 'b']);
      expect(await store.listMaintenance({ from: T0 + 30 * M, to: T0 + 60 * M })).toEqual([]);
      expect(await store.listMaintenance({ from: T0 + 29 * M, to: T0 + 61 * M })).toStrictEqual([window('a', T0, T0 + 30 * M), window('b', T0 + 60 * M, T0 + 120 * M)]);
      await store.saveMaintenance(window('a', T0 + 200 * M, T0 + 210 * M));
      expect((await store.listMaintenance({ from: T0, to: T0 + 10 * M })).length).toBe(0);
    });

    it('finds keys by hash and saves changes to a key', async () => {
      await store.saveKey(key('k2', 'hash-2', T0 + 1));
      await store.saveKey({ ...key('k1', 'hash-1', T0), allowedModels: null, tpm: 1000, expiresAt: T0 + M, priority: 'batch' });
      expect(await store.getKeyByHash('hash-2')).toStrictEqual(key('k2', 'hash-2', T0 + 1));
      expect(await store.getKeyByHash('missing')).toBeUndefined();
      await store.saveKey({ ...key('k2', 'hash-2', T0 + 1), revokedAt: T0 + 5 });
      expect((await store.getKeyByHash('hash-2'))?.revokedAt).toBe(T0 + 5);
      const list = await store.listKeys();
      expect(list.map((k) => k.id)).toEqual(['k1', 'k2']);
      expect(list[0]).toMatchObject({ allowedModels: null, tpm: 1000, expiresAt: T0 + M, priority: 'batch' });
    });

    it('lists the audit log newest first, from a time, limited', async () => {
      await store.appendAudit({ at: T0, actor: 'alice', action: 'key.create', target: 'k1', details: { models: ['smart'] } });
      await store.appendAudit({ at: T0 + 1, actor: 'bob', action: 'key.revoke', target: 'k1' });
      await store.appendAudit({ at: T0 + 1, actor: 'bob', action: 'incident.update', target: 'inc-1' });
      const all = await store.listAudit({ limit: 10 });
      expect(all.map((e) => e.action)).toEqual(['incident.update', 'key.revoke', 'key.create']);
      expect(all[2]).toStrictEqual({ at: T0, actor: 'alice', action: 'key.create', target: 'k1', details: { models: ['smart'] } });
      expect((await store.listAudit({ from: T0 + 1, limit: 10 })).length).toBe(2);
      expect((await store.listAudit({ limit: 1 })).map((e) => e.action)).toEqual(['incident.update']);
    });

    it('appends many audit entries at once, in their order, and nothing for none', async () => {
      await store.appendAuditEntries([]);
      const spend = (target: string, usd: number) => ({ at: T0, actor: 'keel', action: 'usage.spend', target, details: { day: '2025-06-10', usd } });
      await store.appendAuditEntries(Array.from({ length: 1200 }, (_, i) => spend(`k${i}`, i / 4)));
      await store.appendAuditEntries([{ at: T0, actor: 'bob', action: 'key.revoke', target: 'k1' }]);
      const all = await store.listAudit({ limit: 2000 });
      expect(all).toHaveLength(1201);
      // Newest first: the later call, then the batch from its last entry back to its first.
      expect(all.slice(0, 3).map((e) => e.target)).toEqual(['k1', 'k1199', 'k1198']);
      expect(all[1200]).toStrictEqual(spend('k0', 0));
      expect(all[1]).toStrictEqual(spend('k1199', 1199 / 4));
    });

    it('prunes only what is older than each cut-off, and never an open incident', async () => {
      await store.addRollups([rollup(T0), rollup(T0 + M), rollup(T0 + 2 * M)]);
      const sample = (at: number) => ({ at, deployment: 'd', route: 'r', outcome: 'timeout' as const, latencyMs: 1, requestId: 'x' });
      await store.addSamples([sample(T0), sample(T0 + 5)]);
      await store.saveIncident(incident('gone', T0, { status: 'resolved', resolvedAt: T0 + M }));
      await store.saveIncident(incident('kept', T0, { status: 'resolved', resolvedAt: T0 + 3 * M }));
      await store.saveIncident(incident('open', T0 - 100 * M));
      await store.prune({ rollupsBefore: T0 + M, samplesBefore: T0 + 5, incidentsBefore: T0 + 2 * M });
      expect((await store.readRollups({ fromMinute: 0, toMinute: T0 + 9 * M })).map((r) => r.minute)).toEqual([T0 + M, T0 + 2 * M]);
      expect((await store.readSamples({ from: 0, to: T0 + 9, limit: 9 })).map((s) => s.at)).toEqual([T0 + 5]);
      expect((await store.listIncidents({})).map((i) => i.id).sort()).toEqual(['kept', 'open']);
      expect(await store.getIncident('gone')).toBeUndefined();
      // A new incident with the pruned id starts with no leftover updates.
      await store.saveIncident(incident('gone', T0 + 9 * M, { updates: [] }));
      expect((await store.getIncident('gone'))?.updates).toEqual([]);
    });

    it('keeps responses per tenant: saved, read back whole, replaced, deleted, never another tenant\'s', async () => {
      const saved = { id: 'resp_1', tenant: 'acme', createdAt: T0, response: { id: 'resp_1', output: [{ type: 'message', content: [{ text: 'héllo' }] }] }, items: [{ role: 'user', content: 'hi' }] };
      await store.saveResponse(saved);
      expect(await store.getResponse('acme', 'resp_1')).toStrictEqual(saved);
      expect(await store.getResponse('globex', 'resp_1')).toBeUndefined();
      expect(await store.deleteResponse('globex', 'resp_1')).toBe(false);
      await store.saveResponse({ ...saved, response: { id: 'resp_1', status: 'completed' } });
      expect((await store.getResponse('acme', 'resp_1'))?.response).toStrictEqual({ id: 'resp_1', status: 'completed' });
      expect(await store.deleteResponse('acme', 'resp_1')).toBe(true);
      expect(await store.getResponse('acme', 'resp_1')).toBeUndefined();
    });

    it('prunes responses older than their cut-off, and keeps them all without one', async () => {
      const response = (id: string, createdAt: number) => ({ id, tenant: '', createdAt, response: { id }, items: [] });
      await store.saveResponse(response('old', T0));
      await store.saveResponse(response('new', T0 + M));
      await store.prune({ rollupsBefore: 0, samplesBefore: 0, incidentsBefore: 0 });
      expect(await store.getResponse('', 'old')).toBeDefined();
      await store.prune({ rollupsBefore: 0, samplesBefore: 0, incidentsBefore: 0, responsesBefore: T0 + M });
      expect(await store.getResponse('', 'old')).toBeUndefined();
      expect(await store.getResponse('', 'new')).toBeDefined();
    });
  
    it('keeps vendor incidents: replaced by source and id, listed newest first by source and overlap, limited', async () => {
      const first = vendorIncident('v1', T0);
      await store.saveVendorIncident(first);
      expect(await store.listVendorIncidents({})).toStrictEqual([first]);
      const resolved = { ...first, status: 'resolved', resolvedAt: T0 + 30 * M, updates: [...first.updates, { at: T0 + 30 * M, status: 'resolved', body: 'fixed' }] };
      await store.saveVendorIncident(resolved);
      await store.saveVendorIncident(vendorIncident('v1', T0 + 60 * M, { source: 'openai', components: [], deployments: [] }));
      await store.saveVendorIncident(vendorIncident('v2', T0 + 120 * M));
      expect((await store.listVendorIncidents({})).map((i) => `${i.source}/${i.id}`)).toEqual(['anthropic/v2', 'openai/v1', 'anthropic/v1']);
      expect(await store.listVendorIncidents({ source: 'anthropic', to: T0 + M })).toStrictEqual([resolved]);
      expect((await store.listVendorIncidents({ from: T0 + 31 * M, to: T0 + 121 * M })).map((i) => i.id)).toEqual(['v2', 'v1']);
      expect((await store.listVendorIncidents({ limit: 1 })).map((i) => i.id)).toEqual(['v2']);
    });

    it('prunes resolved vendor incidents older than the incidents cut-off, never an open one', async () => {
      await store.saveVendorIncident(vendorIncident('old', T0, { status: 'resolved', resolvedAt: T0 + M }));
      await store.saveVendorIncident(vendorIncident('open', T0));
      await store.prune({ rollupsBefore: 0, samplesBefore: 0, incidentsBefore: T0 + 2 * M });
      expect((await store.listVendorIncidents({})).map((i) => i.id)).toEqual(['open']);
    });
  });
}
