import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { SloMemoryStore } from './__fixtures__/memory-store.js';
import { row } from './__fixtures__/rollups.js';
import { detectionTimeMs } from './burn-rate.js';
import { BURN_RATE_RULES, type SloDefinition } from './slo-definition.js';
import { SloMonitor, type SloAlertEvent } from './slo-monitor.js';
import { verifySignature, WebhookSender, SIGNATURE_HEADER } from './signed-webhook.js';

const S = 1_000;
const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const T0 = Date.UTC(2025, 5, 10); // minute-aligned start of the trouble
const FAILED = 'all_deployments_failed'; // what a client gets when nothing answered (503)
const slo: SloDefinition = { name: 'smart-availability', route: 'smart', sli: { kind: 'availability' }, target: 0.999, windowDays: 28 };
const rule = (name: string) => BURN_RATE_RULES.find((r) => r.name === name)!;

/** Three clean days before T0 (plus the minute the oldest window pro-rates), `perMinute` ok requests each. */
async function cleanHistory(store: SloMemoryStore, perMinute: number): Promise<void> {
  const rows = [];
  for (let m = T0 - 3 * D - M; m < T0; m += M) rows.push(row({ minute: m, id: 'smart', outcomes: { ok: perMinute } }));
  await store.addRollups(rows);
}

/** Runs `steps` of `stepMs`, adding `traffic` for each elapsed step, and returns when each alert first fired (ms after T0). */
async function firstFirings(options: { store: SloMemoryStore; stepMs: number; untilMs: number; traffic: (atMs: number) => Record<string, number>; evaluateAt?: (elapsedMs: number) => boolean }): Promise<Map<string, number>> {
  const clock = new ManualClock(T0);
  const monitor = new SloMonitor({ store: options.store, clock, slos: [slo] });
  const fired = new Map<string, number>();
  for (let elapsed = options.stepMs; elapsed <= options.untilMs; elapsed += options.stepMs) {
    const stepStart = clock.now();
    clock.advance(options.stepMs);
    const rows = [];
    // Traffic arrives minute by minute (or second by second within a minute) as the recorder writes it.
    for (let t = stepStart; t < clock.now(); t += Math.min(options.stepMs, M)) rows.push(row({ minute: Math.floor(t / M) * M, id: 'smart', outcomes: options.traffic(t) }));
    await options.store.addRollups(rows);
    if (options.evaluateAt !== undefined && !options.evaluateAt(elapsed)) continue;
    const snapshot = await monitor.evaluate();
    for (const a of snapshot!.firing) if (!fired.has(a.alert)) fired.set(a.alert, elapsed);
  }
  return fired;
}

describe('burn-rate alerts reproduce the SRE workbook (99.9% SLO)', () => {
  it('a total outage pages within a minute: 1000× burn crosses 14.4× over 1 h after 51.84 s', async () => {
    const store = new SloMemoryStore();
    await cleanHistory(store, 60); // one request a second
    const fired = await firstFirings({ store, stepMs: S, untilMs: 300 * S, traffic: () => ({ [FAILED]: 1 }) });
    // Formula: window × burn × (1 − SLO) / error ratio = 3600 s × 14.4 × 0.001 / 1 = 51.84 s → the 52nd second.
    expect(detectionTimeMs(rule('fast-burn'), 0.999, 1)).toBeCloseTo(51_840, 6);
    expect(fired.get('fast-burn')).toBe(52 * S);
    // 6 h × 6 × 0.001 = 129.6 s; 3 d × 1 × 0.001 = 259.2 s.
    expect(fired.get('slow-burn')).toBe(130 * S);
    expect(fired.get('budget-burn')).toBe(260 * S);
  });

  it('1% errors (burn 10×) never fast-page but slow-page after 3.6 h and ticket after 7.2 h', async () => {
    const store = new SloMemoryStore();
    await cleanHistory(store, 100);
    const fired = await firstFirings({ store, stepMs: M, untilMs: 8 * H, traffic: () => ({ ok: 99, [FAILED]: 1 }) });
    expect(detectionTimeMs(rule('fast-burn'), 0.999, 0.01)).toBeUndefined(); // 10 < 14.4: never
    expect(fired.has('fast-burn')).toBe(false);
    // 6 h × 6 × 0.001 / 0.01 = 3.6 h = 216 min (the 30 m window crossed at 18 min already).
    expect(detectionTimeMs(rule('slow-burn'), 0.999, 0.01)).toBeCloseTo(216 * M, 6);
    expect(fired.get('slow-burn')).toBe(216 * M);
    // 3 d × 1 × 0.001 / 0.01 = 7.2 h = 432 min.
    expect(fired.get('budget-burn')).toBe(432 * M);
  });

  it('0.1% errors (burn 1×) only ticket, once the 3-day window is full of them', async () => {
    const store = new SloMemoryStore();
    await cleanHistory(store, 1000);
    const fired = await firstFirings({
      store,
      stepMs: M,
      untilMs: 3 * D + 30 * M,
      traffic: () => ({ ok: 999, [FAILED]: 1 }),
      // Hourly until the last hour, then every minute: the same answer, a fraction of the work.
      evaluateAt: (elapsed) => elapsed % H === 0 || elapsed >= 3 * D - H,
    });
    expect(fired.has('fast-burn')).toBe(false);
    expect(fired.has('slow-burn')).toBe(false);
    expect(fired.get('budget-burn')).toBe(3 * D);
  });
});

describe('SloMonitor', () => {
  it('sends a signed webhook when an alert fires and when it resolves, and reports budgets as data', async () => {
    const store = new SloMemoryStore();
    await cleanHistory(store, 60);
    const clock = new ManualClock(T0);
    const received: { body: string; signature: string }[] = [];
    const sender = new WebhookSender([{ url: 'https://hooks.example/keel', secret: 'shh-its-a-secret' }], clock, async (_url, init) => {
      received.push({ body: init.body, signature: init.headers[SIGNATURE_HEADER]! });
      return { ok: true, status: 204 };
    });
    const monitor = new SloMonitor({ store, clock, slos: [slo], sink: sender, rules: [rule('fast-burn')] });
    // Two minutes of total outage, then recovery.
    for (let t = 0; t < 15 * M; t += 5 * S) {
      const outcomes = t < 2 * M ? { [FAILED]: 5 } : { ok: 5 };
      await store.addRollups([row({ minute: Math.floor((clock.now()) / M) * M, id: 'smart', outcomes })]);
      clock.advance(5 * S);
      await monitor.evaluate();
    }
    await monitor.idle();
    const events = received.map((r) => JSON.parse(r.body) as SloAlertEvent);
    expect(events.map((e) => e.type)).toEqual(['slo.alert.firing', 'slo.alert.resolved']);
    expect(events[0]!.alert).toMatchObject({ slo: 'smart-availability', route: 'smart', alert: 'fast-burn', severity: 'page', firing: true });
    for (const r of received) expect(verifySignature(r.body, r.signature, 'shh-its-a-secret', Math.floor(clock.now() / 1000), 3600)).toBe(true);
    expect(verifySignature(received[0]!.body, received[0]!.signature, 'wrong-secret', Math.floor(clock.now() / 1000), 3600)).toBe(false);

    const status = monitor.status()!;
    expect(status.firing).toEqual([]);
    const budget = status.slos[0]!.budget;
    // 120 s of failures among 3 days + 15 min of one request a second: 120 bad of 259,200 + 900 + 60 requests.
    expect(budget.bad).toBe(120);
    expect(budget.total).toBe(3 * 86_400 + 15 * 60 + 60);
    expect(budget.remaining).toBeCloseTo(1 - 120 / (0.001 * budget.total), 9);
  });

  it('rejects two SLOs with one name', () => {
    expect(() => new SloMonitor({ store: new SloMemoryStore(), clock: new ManualClock(), slos: [slo, slo] })).toThrow(/unique/);
  });
});
