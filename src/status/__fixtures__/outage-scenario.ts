/**
 * A status page in the middle of an outage, for the status tests: three deployments (with real-looking
 * secrets in their config, which must never reach the page), live traffic through the synthetic router
 * into the real health windows, incident detector and rollup recorder, a few past days of rollups and a
 * past incident. `gpt-direct` has been down (overloaded) for ten minutes; route `smart` fails over to
 * `claude-direct`, so clients are fine.
 */
import { ManualClock } from '../../core/clock.js';
import type { Deployment } from '../../config/resolve-config.js';
import { HealthWindows } from '../../health/health-windows.js';
import { IncidentDetector } from '../../health/incident-detector.js';
import { MaintenanceCalendar } from '../../health/maintenance-calendar.js';
import { MemoryStore } from '../../health/__fixtures__/memory-store.js';
import { settle, SyntheticTraffic } from '../../health/__fixtures__/synthetic-traffic.js';
import { emptyRollup } from '../../store/rollup-math.js';
import { RollupRecorder } from '../../store/rollup-recorder.js';
import { topologyOf, type StatusTopology } from '../status-model.js';

export const SECRET = 'sk-test-SECRET-123456789';
export const M = 60_000;
export const DAY = 86_400_000;
/** The outage starts here. */
export const T = Date.UTC(2025, 5, 10, 12, 0);

function deployment(id: string, provider: Deployment['provider'], model: string): Deployment {
  return {
    id,
    provider,
    model,
    baseUrl: `https://internal-gateway.example.com/${SECRET}/v1`,
    apiKey: SECRET,
    headers: { authorization: `Bearer ${SECRET}`, 'OpenAI-Organization': 'org-tenant-acme-private' },
    region: 'eu-west',
    capabilities: { tools: true, vision: true, jsonMode: true, prefill: false, streaming: true },
    price: { input_per_mtok: 2, output_per_mtok: 8 },
    timeouts: { connectMs: 5_000, ttftMs: 30_000, idleMs: 30_000, totalMs: 300_000 },
    maxConnections: 16,
  };
}

/** A RuntimeConfig-shaped object carrying secrets everywhere a config can. */
export function secretConfig() {
  const deployments = new Map([
    ['gpt-direct', deployment('gpt-direct', 'openai', 'gpt-4.1')],
    ['gpt-backup', deployment('gpt-backup', 'openai', 'gpt-4.1-mini')],
    ['claude-direct', deployment('claude-direct', 'anthropic', 'claude-sonnet-4-5')],
  ]);
  const route = (name: string, ids: string[]) => ({ name, targets: ids.map((id) => ({ deployment: deployments.get(id)!, weight: 1 })) });
  const routes = new Map([
    ['smart', route('smart', ['gpt-direct', 'claude-direct'])],
    ['cheap', route('cheap', ['gpt-backup'])],
  ]);
  return { deployments, routes };
}

export interface OutageScenario {
  clock: ManualClock;
  store: MemoryStore;
  health: HealthWindows;
  detector: IncidentDetector;
  topology: StatusTopology;
}

export async function outageScenario(): Promise<OutageScenario> {
  const clock = new ManualClock(T - 40 * M);
  const store = new MemoryStore();
  const topology = topologyOf(secretConfig());
  const calendar = new MaintenanceCalendar();
  const smart = new SyntheticTraffic(clock, [
    { id: 'gpt-direct', provider: 'openai' },
    { id: 'claude-direct', provider: 'anthropic' },
  ]);
  const cheap = new SyntheticTraffic(clock, [{ id: 'gpt-backup', provider: 'openai' }], 'cheap', 900);
  const health = new HealthWindows({ clock, calendar, deployments: topology.deployments, routes: ['smart', 'cheap'] });
  let seq = 0;
  const detector = new IncidentDetector({ store, health, clock, calendar, newId: () => `inc-${++seq}` });
  const recorder = new RollupRecorder({ store, priceOf: () => ({ input_per_mtok: 2, output_per_mtok: 8 }), timer: () => () => undefined });
  for (const traffic of [smart, cheap]) {
    health.attach(traffic.events);
    detector.attach(traffic.events);
    recorder.attach(traffic.events);
  }
  await seedHistory(store);
  await detector.start();

  const run = async (ms: number): Promise<void> => {
    for (let elapsed = 0; elapsed < ms; elapsed += 1_000) {
      clock.advance(1_000);
      if (clock.now() % 2_000 === 0) smart.request();
      if (clock.now() % 5_000 === 0) cheap.request(`cheap_${clock.now()}`);
      if (clock.now() % 10_000 === 0) await settle();
    }
  };
  await run(40 * M);
  smart.faults.set('gpt-direct', 'overloaded');
  await run(10 * M);
  await recorder.flush();
  await detector.stop();
  return { clock, store, health, detector, topology };
}

/** Earlier days: steady traffic, one bad hour five days ago with its (resolved) incident. */
async function seedHistory(store: MemoryStore): Promise<void> {
  const today = Math.floor(T / DAY) * DAY;
  const rows = [];
  for (const daysAgo of [1, 2, 5, 20]) {
    for (let hour = 0; hour < 24; hour += 3) {
      const minute = today - daysAgo * DAY + hour * 3_600_000;
      const bad = daysAgo === 5 && hour === 9;
      for (let m = 0; m < (bad ? 60 : 1); m++) {
        const dep = emptyRollup(minute + m * M, 'deployment', 'claude-direct', 'client');
        dep.outcomes = bad ? { ok: 2, server_error: 18 } : { ok: 40, rate_limited: 1 };
        dep.ttftHistogram[3] = bad ? 2 : 40;
        const route = emptyRollup(minute + m * M, 'route', 'smart', 'client');
        route.outcomes = bad ? { ok: 12, all_deployments_failed: 8 } : { ok: 41 };
        rows.push(dep, route);
      }
    }
  }
  await store.addRollups(rows);
  const at = today - 5 * DAY + 9 * 3_600_000;
  await store.saveIncident({
    id: 'inc-past',
    component: 'deployment:claude-direct',
    title: 'Elevated errors on claude-direct (anthropic)',
    status: 'resolved',
    impact: 'partial_outage',
    openedAt: at + M,
    resolvedAt: at + 70 * M,
    impactStart: at,
    impactEnd: at + 60 * M,
    updates: [
      { at: at + M, status: 'investigating', message: 'Keel is seeing failures on claude-direct.', author: 'keel', evidence: { examples: [{ message: `key ${SECRET}` }] } },
      { at: at + 20 * M, status: 'identified', message: 'The provider is returning server errors (5xx).', author: 'alice@example.com' },
      { at: at + 70 * M, status: 'resolved', message: 'Recovered.', author: 'keel' },
    ],
  });
}
