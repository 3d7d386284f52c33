/**
 * A postmortem drafted from a simulated outage recorded in a real (SQLite) store: the primary of route
 * `smart` is overloaded for 40 minutes, Keel retries, opens its breaker and fails over to the fallback,
 * which itself hiccups for two minutes (degraded and failed answers). The Markdown must carry the
 * incident's real timeline, the counts computed from the rollups and the cause; `keel sla report` runs on
 * the same store.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/index.js';
import type { Incident, RollupRow } from '../../src/store/store.js';
import { row } from '../../src/slo/__fixtures__/rollups.js';
import { buildPostmortem, renderPostmortem, loadSlaFile } from '../../src/slo/index.js';
import { postmortemCommand, slaCommand } from '../../src/cli/slo-command.js';

const M = 60_000;
const at = (hh: number, mm: number, ss = 0): number => Date.UTC(2025, 5, 10, hh, mm, ss);
const OUTAGE_START = at(10, 0);
const OUTAGE_END = at(10, 40);
// API keys from an environment the report never needs: only ids, providers, prices and routes are read.
const config = `
deployments:
  - id: claude-direct
    provider: anthropic
    model: claude-sonnet-4-5
    api_key: \${ANTHROPIC_API_KEY}
    price: { input_per_mtok: 3, output_per_mtok: 15 }
  - id: gpt-direct
    provider: openai
    model: gpt-4.1
    api_key: \${OPENAI_API_KEY}
    price: { input_per_mtok: 2, output_per_mtok: 8 }
routes:
  smart: { deployments: [claude-direct, gpt-direct] }
`;

/** Twenty requests a minute on `smart` from 09:30 to 11:00, as the recorder would have written them. */
function traffic(): RollupRow[] {
  const rows: RollupRow[] = [];
  for (let m = at(9, 30); m < at(11, 0); m += M) {
    const dep = (id: string, outcomes: Record<string, number>, source: 'client' | 'probe' = 'client') =>
      rows.push(row({ minute: m, scope: 'deployment', id, source, outcomes, cost: (outcomes['ok'] ?? 0) * 0.002, inputTokens: (outcomes['ok'] ?? 0) * 300, outputTokens: (outcomes['ok'] ?? 0) * 100 }));
    const route = (outcomes: Record<string, number>) => rows.push(row({ minute: m, scope: 'route', id: 'smart', outcomes, latencyMs: 900 }));
    if (m < OUTAGE_START || m >= OUTAGE_END) {
      dep('claude-direct', { ok: 20 });
      route({ ok: 20 });
    } else if (m < at(10, 2)) {
      // Breaker closed: each request tries the primary twice (529 overloaded), 18 fail over, 2 run out of time.
      dep('claude-direct', { overloaded: 40 });
      dep('gpt-direct', { ok: 18 });
      route({ ok: 18, deadline_exceeded: 2 });
    } else if (m === at(10, 20) || m === at(10, 21)) {
      // Breaker open; the fallback hiccups too: 3 stale cached answers, 2 failures.
      dep('claude-direct', { overloaded: 2 }, 'probe');
      dep('gpt-direct', { ok: 15, overloaded: 5 });
      route({ ok: 15, degraded: 3, all_deployments_failed: 2 });
    } else {
      // Breaker open: requests go straight to the fallback; only probes still try the primary.
      dep('claude-direct', { overloaded: 2 }, 'probe');
      dep('gpt-direct', { ok: 20 });
      route(m === at(10, 5) ? { ok: 20, invalid_request: 1 } : { ok: 20 });
    }
  }
  return rows;
}

const incident: Incident = {
  id: 'inc_demo_1',
  component: 'deployment:claude-direct',
  title: 'Outage on claude-direct (anthropic)',
  status: 'resolved',
  impact: 'major_outage',
  openedAt: at(10, 1, 5),
  resolvedAt: at(10, 45, 30),
  impactStart: OUTAGE_START,
  impactEnd: OUTAGE_END,
  updates: [
    {
      at: at(10, 1, 5),
      status: 'investigating',
      author: 'keel',
      message: 'Keel is seeing failures on claude-direct (anthropic): 40 of 40 calls failed (100%: overloaded 40). Its circuit breaker is open. 18 requests on route smart failed over to gpt-direct. We are investigating.',
      evidence: { attempts: 40, faults: 40, outcomes: { overloaded: 40 }, failovers: [{ route: 'smart', to: 'gpt-direct', requests: 18 }, { route: 'smart', to: null, requests: 2 }], health: { status: 'major_outage', breaker: 'open' } },
    },
    {
      at: at(10, 2, 10),
      status: 'identified',
      author: 'keel',
      message: 'claude-direct: the provider reports overload or capacity constraints.',
      evidence: { attempts: 2, faults: 2, outcomes: { overloaded: 2 }, failovers: [{ route: 'smart', to: 'gpt-direct', requests: 20 }], health: { status: 'major_outage', breaker: 'open' }, cause: 'overload' },
    },
    { at: at(10, 40, 30), status: 'monitoring', author: 'keel', message: 'Calls to claude-direct are succeeding again; we are watching.', evidence: { health: { status: 'operational', breaker: 'closed' } } },
    { at: at(10, 45, 30), status: 'resolved', author: 'keel', message: 'claude-direct has been healthy for 5 minutes.' },
  ],
};

describe('postmortem from a simulated outage', () => {
  let dir: string;
  let store: SqliteStore;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keel-slo-'));
    writeFileSync(join(dir, 'keel.yaml'), `${config}store: { path: ${join(dir, 'keel.db')} }\n`);
    store = new SqliteStore({ path: join(dir, 'keel.db') });
    await store.migrate();
    await store.addRollups(traffic());
    await store.saveIncident(incident);
  });

  afterAll(async () => {
    await store.close();
    if (process.env["KEEL_KEEP"] === undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('counts the affected, rescued, degraded and failed requests from the rollups', async () => {
    const pm = await buildPostmortem({
      store,
      incidentId: 'inc_demo_1',
      deployments: [
        { id: 'claude-direct', provider: 'anthropic', model: 'claude-sonnet-4-5' },
        { id: 'gpt-direct', provider: 'openai', model: 'gpt-4.1' },
      ],
      routes: { smart: ['claude-direct', 'gpt-direct'] },
      sla: loadSlaFile(),
      providerFirstUpdateMs: at(10, 12),
      nowMs: at(12, 0),
    });
    // 40 minutes × 20 requests met the failure: 2×18 + 36×20 + 2×15 rescued, 2×3 degraded, 2×2 + 2×2 failed.
    expect(pm.impact).toMatchObject({ badMinutes: 40, affected: 800, rescued: 786, degraded: 6, failed: 8, clientErrors: 1, routes: ['smart', 'claude-sonnet-4-5', 'claude-direct'] });
    expect(pm.actions.failedAttempts).toBe(80);
    expect(pm.actions.failovers).toEqual([
      { route: 'smart', to: 'gpt-direct', requests: 38 },
      { route: 'smart', to: null, requests: 2 },
    ]);
    expect(pm.actions.breakerOpenings).toBe(1);
    expect(pm.cause).toMatchObject({ category: 'overload', source: 'incident' });
    expect(pm.detection.delayMs).toBe(65_000);
    expect(pm.sla?.[0]).toMatchObject({ key: 'anthropic-api', credit: { creditUsd: undefined } });
  });

  it('keel postmortem writes Markdown with the real timeline, counts and cause', async () => {
    const out = join(dir, 'postmortem.md');
    await postmortemCommand().parseAsync(['inc_demo_1', '--config', join(dir, 'keel.yaml'), '--out', out, '--provider-first-update', '2025-06-10T10:12:00Z'], { from: 'user' });
    const md = readFileSync(out, 'utf8');
    expect(md).toMatch(/^# Postmortem: Outage on claude-direct \(anthropic\)/);
    // Every update, with its time and status.
    for (const line of [
      '| 2025-06-10 10:01:05Z | investigating | keel |',
      '| 2025-06-10 10:02:10Z | identified | keel |',
      '| 2025-06-10 10:40:30Z | monitoring | keel |',
      '| 2025-06-10 10:45:30Z | resolved | keel |',
    ])
      expect(md).toContain(line);
    expect(md).toContain('| met the failure | 800 |');
    expect(md).toContain('| rescued by retry or failover | 786 |');
    expect(md).toContain('| degraded answer | 6 |');
    expect(md).toContain('| failed | 8 |');
    expect(md).toContain('Category: **overload**');
    expect(md).toContain('Incident opened by keel: 2025-06-10 10:01:05Z, 1 min 5 s after the first bad minute.');
    expect(md).toContain("Provider's first status update: 2025-06-10 10:12:00Z; Keel opened the incident 10 min 55 s earlier.");
    expect(md).toContain('Route smart: 38 request(s) failed over to gpt-direct');
    expect(md).toContain('Tenants: unknown');
    expect(md).toContain('`keel sla report --month 2025-06 --format md`');
    expect(md).toContain('## Action items');
  });

  it('keel sla report lists the month per provider with the evidence', async () => {
    const out = join(dir, 'sla.md');
    await slaCommand().parseAsync(['report', '--month', '2025-06', '--config', join(dir, 'keel.yaml'), '--format', 'md', '--out', out], { from: 'user' });
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('# SLA report — 2025-06');
    expect(md).toContain('## Anthropic API (Claude, standard tier) (`anthropic-api`)');
    // The two minutes of client failures (the probe-only minutes count too: probes are measured for SLAs).
    expect(md).toContain('| 2025-06-10T10:00Z | 2025-06-10T10:01Z | 40 | 40 | 100% | overloaded 40 |');
    expect(md).toContain('| 2025-06-10T10:39Z | 2025-06-10T10:40Z | 2 | 2 | 100% | overloaded 2 |');
    expect(md).toContain('`inc_demo_1` Outage on claude-direct (anthropic)');
    const pm = renderPostmortem(
      await buildPostmortem({ store, incidentId: 'inc_demo_1', deployments: [{ id: 'claude-direct', provider: 'anthropic' }], routes: { smart: ['claude-direct'] }, nowMs: at(12, 0) }),
      at(12, 0),
    );
    expect(pm).toContain('Run `keel sla report --month 2025-06 --format md`');
  });
});
