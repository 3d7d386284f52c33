import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { MemoryVendorIncidents } from '../../store/memory-vendor-incidents.js';
import { ManualIntervalTimer } from '../../store/interval-timer.js';
import { startFakeStatuspage, type FakeStatuspage, type FakeStatuspageMode } from './__fixtures__/fake-statuspage.js';
import { resolveStatusSources } from './vendor-source-defaults.js';
import { VendorStatusPoller } from './vendor-status-poller.js';
import type { VendorStatusError } from './vendor-snapshot.js';

const T0 = Date.UTC(2026, 2, 1, 12);
const M = 60_000;
const DEPLOYMENTS = [
  { id: 'claude-direct', provider: 'anthropic' },
  { id: 'gpt-direct', provider: 'openai' },
];

describe('VendorStatusPoller against a fake Statuspage on loopback', () => {
  let page: FakeStatuspage;
  let clock: ManualClock;
  let store: MemoryVendorIncidents;
  let problems: { source: string; code: string; message: string }[];
  let recovered: string[];

  const poller = (options: { timeoutMs?: number; maxBodyBytes?: number } = {}): VendorStatusPoller =>
    new VendorStatusPoller({
      sources: resolveStatusSources({ enabled: true, on_major_outage: 'annotate', sources: { anthropic: { enabled: true, url: page.url }, openai: { enabled: false } } }, DEPLOYMENTS),
      store,
      clock,
      pollIntervalMs: M,
      maxBackoffMs: 8 * M,
      ...options,
      onProblem: (source, error: VendorStatusError) => problems.push({ source, code: error.code, message: error.message }),
      onRecovered: (source) => recovered.push(source),
    });

  // Only loopback: the openai default source is turned off, so gpt-direct is mapped by nothing.
  beforeEach(async () => {
    page = await startFakeStatuspage();
    clock = new ManualClock(T0);
    store = new MemoryVendorIncidents();
    problems = [];
    recovered = [];
  });
  afterEach(() => page.close());

  it('stores what the page declared, mapped to deployments, stamped with when Keel first and last saw it', async () => {
    page.components = [{ name: 'Claude API', status: 'major_outage' }, { name: 'claude.ai', status: 'operational' }];
    page.incidents = [{ id: 'inc1', name: 'Elevated errors on Claude API', impact: 'major', components: ['Claude API'], updates: [{ status: 'investigating', body: 'Looking into it', at: T0 - 5 * M }] }];
    const reader = poller();
    await reader.pollDue();
    const [stored] = await store.listVendorIncidents({});
    expect(stored).toMatchObject({ source: 'anthropic', id: 'inc1', status: 'investigating', impact: 'major', components: ['Claude API'], deployments: ['claude-direct'], startedAt: T0 - 5 * M, firstSeenAt: T0 });
    expect(stored!.updates).toEqual([{ at: T0 - 5 * M, status: 'investigating', body: 'Looking into it' }]);
    expect(reader.outageOf('claude-direct')).toEqual({ deployment: 'claude-direct', source: 'anthropic', component: 'Claude API' });
    expect(reader.outageOf('gpt-direct')).toBeUndefined();

    // Not due yet: nothing is fetched. Due and unchanged: conditional requests, answered 304.
    await reader.pollDue();
    expect(page.requests.length).toBe(2);
    clock.advance(M);
    await reader.pollDue();
    expect(page.requests.slice(2).every((r) => r.conditional)).toBe(true);

    page.incidents[0]!.updates.push({ status: 'resolved', body: 'Fixed', at: T0 + 20 * M });
    page.incidents[0]!.resolvedAt = T0 + 20 * M;
    page.components[0]!.status = 'operational';
    page.changed();
    clock.advance(30 * M);
    await reader.pollDue();
    const [resolved] = await store.listVendorIncidents({});
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: T0 + 20 * M, firstSeenAt: T0, lastSeenAt: T0 + 31 * M });
    expect(reader.outages()).toEqual([]);
  });

  it('keeps firstSeenAt across a restart (incidents are loaded from the store)', async () => {
    page.incidents = [{ id: 'inc1', name: 'Errors', impact: 'minor', components: ['Claude API'], updates: [{ status: 'investigating', body: 'x', at: T0 }] }];
    await poller().pollDue();
    clock.advance(10 * M);
    page.incidents[0]!.updates.push({ status: 'identified', body: 'y', at: T0 + 9 * M });
    page.changed();
    await poller().pollDue();
    expect((await store.listVendorIncidents({}))[0]).toMatchObject({ status: 'identified', firstSeenAt: T0, lastSeenAt: T0 + 10 * M });
  });

  const failures: [FakeStatuspageMode, string, RegExp][] = [
    ['hang', 'timeout', /did not answer within 300 ms/],
    ['error500', 'http_status', /answered HTTP 500/],
    ['malformed', 'malformed', /not JSON/],
    ['huge', 'too_large', /more than the cap of 65536 bytes/],
  ];
  for (const [mode, code, message] of failures) {
    it(`survives a page in mode ${mode}: reported once per streak, backed off, recovered`, async () => {
      page.mode = mode;
      const reader = poller({ timeoutMs: 300, maxBodyBytes: 64 * 1024 });
      await reader.pollDue();
      await reader.pollDue(); // not due: backing off
      expect(page.requests.length).toBe(1);
      clock.advance(2 * M);
      await reader.pollDue();
      expect(page.requests.length).toBe(2);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ source: 'anthropic', code });
      expect(problems[0]!.message).toMatch(message);
      clock.advance(3 * M); // backoff doubled to 4 min: not due yet
      await reader.pollDue();
      expect(page.requests.length).toBe(2);
      page.mode = 'ok';
      clock.advance(M);
      await reader.pollDue();
      expect(recovered).toEqual(['anthropic']);
      expect(problems).toHaveLength(1);
    });
  }

  it('runs on an injected timer and stops when told', async () => {
    const timer = new ManualIntervalTimer();
    const stop = poller().start(timer.schedule);
    expect(timer.active).toBe(1);
    stop();
    expect(timer.active).toBe(0);
  });
});
