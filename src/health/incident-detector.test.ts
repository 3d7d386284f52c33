import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { HealthWindows } from './health-windows.js';
import { IncidentDetector, type IncidentEvent } from './incident-detector.js';
import { MaintenanceCalendar } from './maintenance-calendar.js';
import { MemoryStore } from './__fixtures__/memory-store.js';
import { settle, SyntheticTraffic } from './__fixtures__/synthetic-traffic.js';

const M = 60_000;
const T = Date.UTC(2025, 0, 1, 12); // the outage starts here, minute-aligned

let running: IncidentDetector | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setup() {
  const clock = new ManualClock(T - 10 * M);
  const store = new MemoryStore();
  const calendar = new MaintenanceCalendar();
  const traffic = new SyntheticTraffic(clock, [
    { id: 'gpt-direct', provider: 'openai' },
    { id: 'claude-direct', provider: 'anthropic' },
  ]);
  const health = new HealthWindows({ clock, calendar, deployments: traffic.deployments });
  const errors: unknown[] = [];
  let seq = 0;
  const detector = new IncidentDetector({ store, health, clock, calendar, onError: (e) => errors.push(e), newId: () => `inc-${++seq}` });
  health.attach(traffic.events);
  detector.attach(traffic.events);
  const seen: { opened: IncidentEvent[]; updated: IncidentEvent[]; resolved: IncidentEvent[] } = { opened: [], updated: [], resolved: [] };
  detector.events.on('incidentOpened', (e) => seen.opened.push(e));
  detector.events.on('incidentUpdated', (e) => seen.updated.push(e));
  detector.events.on('incidentResolved', (e) => seen.resolved.push(e));
  await detector.start();
  running = detector;
  /** Runs simulated time: a client request every 2 s, the detector ticking on the clock every 10 s. */
  const run = async (ms: number, each?: (now: number) => void): Promise<void> => {
    for (let elapsed = 0; elapsed < ms; elapsed += 1_000) {
      clock.advance(1_000);
      each?.(clock.now());
      if (clock.now() % 2_000 === 0) traffic.request();
      if (clock.now() % 10_000 === 0) await settle();
    }
    await detector.flush();
  };
  return { clock, store, traffic, health, detector, errors, seen, run, calendar };
}

describe('IncidentDetector', () => {
  it('walks an outage from T to T+30 min through investigating, identified, monitoring and resolved', async () => {
    const { store, traffic, run, seen, errors } = await setup();
    await run(10 * M); // healthy traffic up to T
    expect(store.data.incidents.size).toBe(0);
    traffic.faults.set('gpt-direct', 'overloaded');
    await run(30 * M);
    traffic.faults.delete('gpt-direct');
    await run(15 * M);

    expect(errors).toEqual([]);
    expect([...store.data.incidents.keys()]).toEqual(['inc-1']);
    const incident = store.data.incidents.get('inc-1')!;
    expect(incident.component).toBe('deployment:gpt-direct');
    expect(incident.title).toBe('Outage on gpt-direct (openai)');
    expect(incident.impact).toBe('major_outage');
    // Opened within a minute of the fault, from sustained evidence.
    expect(incident.openedAt).toBeGreaterThan(T);
    expect(incident.openedAt - T).toBeLessThanOrEqual(M);
    expect(incident.updates.map((u) => u.status)).toEqual(['investigating', 'identified', 'monitoring', 'resolved']);
    // The measured impact window is the fault window, to the minute, apart from the update times.
    expect(incident.impactStart).toBe(T);
    expect(incident.impactEnd).toBe(T + 30 * M);
    expect(incident.resolvedAt).toBe(incident.updates.at(-1)!.at);
    expect(incident.resolvedAt! - (T + 30 * M)).toBeGreaterThanOrEqual(5 * M);
    expect(incident.resolvedAt! - (T + 30 * M)).toBeLessThan(8 * M);

    const [opened, identified, monitoring, resolved] = incident.updates;
    for (const u of incident.updates) {
      expect(u.author).toBe('keel');
      expect(u.evidence).toBeDefined();
    }
    expect(opened!.evidence).toMatchObject({ outcomes: { overloaded: expect.any(Number) }, health: { breaker: 'open' } });
    expect(opened!.evidence!['failovers']).toEqual([{ route: 'smart', to: 'claude-direct', requests: expect.any(Number) }]);
    expect(opened!.message).toMatch(/failures on gpt-direct \(openai\).*failed over to claude-direct/);
    const examples = opened!.evidence!['examples'] as { message: string }[];
    expect(examples.length).toBeGreaterThan(0);
    expect(JSON.stringify(incident)).not.toContain('sk-test-SECRET');
    expect(identified!.evidence!['cause']).toBe('overload');
    expect(identified!.message).toMatch(/overload or capacity/);
    expect(identified!.at - incident.openedAt).toBeLessThanOrEqual(2 * M);
    expect(monitoring!.at).toBeGreaterThan(T + 30 * M);
    expect(monitoring!.at).toBeLessThan(T + 33 * M);
    expect(resolved!.message).toMatch(/Measured impact: 30 min/);

    expect(seen.opened.map((e) => e.incident.id)).toEqual(['inc-1']);
    expect(seen.updated.map((e) => e.update.status)).toEqual(['identified', 'monitoring']);
    expect(seen.resolved.map((e) => e.incident.status)).toEqual(['resolved']);
    expect(store.incidentSaves.map((i) => i.status)).toEqual(['investigating', 'identified', 'monitoring', 'resolved']);
  });

  it('does not open duplicate incidents for a flapping deployment', async () => {
    const { store, traffic, run, seen } = await setup();
    await run(5 * M);
    // 90 s failing, 60 s working, for 30 min: one story, told in one incident.
    await run(30 * M, (now) => {
      if ((now - T + 5 * M) % 150_000 < 90_000) traffic.faults.set('gpt-direct', 'server_error');
      else traffic.faults.delete('gpt-direct');
    });
    traffic.faults.delete('gpt-direct');
    await run(10 * M);
    expect(store.data.incidents.size).toBe(1);
    expect(seen.opened).toHaveLength(1);
    const incident = [...store.data.incidents.values()][0]!;
    expect(incident.status).toBe('resolved');
    expect(incident.updates.filter((u) => u.status === 'investigating').length).toBeGreaterThanOrEqual(1);
  });

  it('ignores a blip shorter than the sustain period', async () => {
    const { store, traffic, run } = await setup();
    await run(2 * M);
    traffic.faults.set('gpt-direct', 'timeout');
    await run(20_000);
    traffic.faults.delete('gpt-direct');
    // The breaker opened: its 30 s pass, a probe closes it.
    await run(5 * M);
    expect(store.data.incidents.size).toBe(0);
  });

  it('opens no incident for a component under declared maintenance, and persists the window', async () => {
    const { store, traffic, run, detector, clock, health } = await setup();
    const window = await detector.declareMaintenance('deployment:gpt-direct', clock.now(), clock.now() + 20 * M, 'Upgrading the endpoint', 'alice');
    expect(store.data.maintenance.get(window.id)).toMatchObject({ component: 'deployment:gpt-direct', createdBy: 'alice' });
    traffic.faults.set('gpt-direct', 'connect_error');
    await run(15 * M);
    expect(store.data.incidents.size).toBe(0);
    expect(health.evaluateDeployment('gpt-direct').status).toBe('under_maintenance');
    // Past the window and still failing: now it is an incident.
    await run(7 * M);
    expect(store.data.incidents.size).toBe(1);
    await expect(detector.declareMaintenance('keel', 10, 5, 'backwards', 'bob')).rejects.toThrow(RangeError);
  });

  it('takes operator updates and a manual resolve, persisted, and does not reopen while still failing', async () => {
    const { store, traffic, run, detector, seen } = await setup();
    await run(M);
    traffic.faults.set('gpt-direct', 'rate_limited');
    await run(90_000);
    const [open] = detector.openIncidents();
    expect(open).toBeDefined();
    const updated = await detector.postUpdate(open!.id, 'identified', 'The provider lowered our rate limit.', 'alice');
    expect(updated.status).toBe('identified');
    expect(store.data.incidents.get(open!.id)!.updates.at(-1)).toMatchObject({ status: 'identified', author: 'alice', message: 'The provider lowered our rate limit.' });
    const resolved = await detector.resolve(open!.id, 'Limit raised by the provider.', 'alice');
    expect(resolved).toMatchObject({ status: 'resolved', resolvedAt: expect.any(Number), impactEnd: expect.any(Number) });
    expect(store.data.incidents.get(open!.id)!.status).toBe('resolved');
    expect(seen.resolved).toHaveLength(1);
    await run(5 * M);
    expect(store.data.incidents.size).toBe(1);
    // Healthy, then failing again: a new incident.
    traffic.faults.delete('gpt-direct');
    await run(3 * M);
    traffic.faults.set('gpt-direct', 'rate_limited');
    await run(2 * M);
    expect(store.data.incidents.size).toBe(2);
    await expect(detector.postUpdate('nope', 'monitoring', 'x', 'bob')).rejects.toThrow(/no incident/);
  });

  it('opens incidents by hand on any component and reopens resolved ones on request', async () => {
    const { store, detector } = await setup();
    const incident = await detector.openIncident('provider:openai', 'OpenAI reports elevated errors', 'partial_outage', 'Following the provider status page.', 'alice');
    expect(detector.openIncidents().map((i) => i.id)).toEqual([incident.id]);
    await detector.resolve(incident.id, 'Over.', 'alice');
    expect(detector.openIncidents()).toEqual([]);
    await detector.postUpdate(incident.id, 'investigating', 'It is back.', 'bob');
    expect(store.data.incidents.get(incident.id)).toMatchObject({ status: 'investigating' });
    expect(store.data.incidents.get(incident.id)!.resolvedAt).toBeUndefined();
    await expect(detector.postUpdate(incident.id, 'bogus' as never, 'x', 'bob')).rejects.toThrow(RangeError);
  });

  it('reports a store that refuses to save to onError and carries on', async () => {
    const { store, traffic, run, errors, detector } = await setup();
    store.failIncidentSaves = new Error('disk full');
    traffic.faults.set('gpt-direct', 'server_error');
    await run(2 * M);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => (e as Error).message === 'disk full')).toBe(true);
    expect(detector.openIncidents()).toHaveLength(1);
    store.failIncidentSaves = undefined;
    await run(2 * M);
    expect(store.data.incidents.size).toBe(1);
  });

  it('continues an open incident loaded from the store after a restart', async () => {
    const first = await setup();
    first.traffic.faults.set('gpt-direct', 'server_error');
    await first.run(2 * M);
    await first.detector.stop();
    const clock = first.clock;
    const health = new HealthWindows({ clock, deployments: first.traffic.deployments });
    const detector = new IncidentDetector({ store: first.store, health, clock, newId: () => 'inc-new' });
    health.attach(first.traffic.events);
    detector.attach(first.traffic.events);
    await detector.start();
    running = detector;
    expect(detector.openIncidents().map((i) => i.id)).toEqual(['inc-1']);
    first.traffic.faults.delete('gpt-direct');
    for (let s = 0; s < 10 * 60; s++) {
      clock.advance(1_000);
      if (s % 2 === 0) first.traffic.request();
      if (clock.now() % 10_000 === 0) await settle();
    }
    await detector.flush();
    expect(first.store.data.incidents.get('inc-1')!.status).toBe('resolved');
    expect(first.store.data.incidents.has('inc-new')).toBe(false);
  });
});
