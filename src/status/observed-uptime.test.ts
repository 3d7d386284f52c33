import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { MemoryStore } from '../health/__fixtures__/memory-store.js';
import { rollup } from '../store/store-contract.js';
import { buildStatusModel } from './build-status-model.js';
import { renderStatusHtml } from './status-html.js';

const M = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 10, 12, 0); // a Keel started at noon
const topology = { deployments: [{ id: 'claude-direct', provider: 'anthropic' }], routes: [{ name: 'smart', deployments: ['claude-direct'] }] };

async function modelAt(nowMs: number, store: MemoryStore) {
  return buildStatusModel({ store, topology, clock: new ManualClock(nowMs), days: 90 });
}

describe('uptime over observed time only', () => {
  it('shows no uptime for a Keel that has seen nothing, not 100% over 90 days', async () => {
    const model = await modelAt(T0 + M, new MemoryStore());
    const deployment = model.components.find((c) => c.id === 'deployment:claude-direct')!;
    expect(deployment.uptime).toBeUndefined();
    expect(deployment.observedMinutes).toBe(0);
    expect(deployment.days.filter((d) => d.uptime === undefined)).toHaveLength(90);
    const html = renderStatusHtml(model);
    expect(html).toContain('no uptime data yet');
    expect(html).not.toContain('uptime over 90 days');
    expect(html).toContain('no data');
  });

  it('counts a failing first five minutes against five observed minutes, not the whole day', async () => {
    const store = new MemoryStore();
    // Minute 0: 3 of 4 calls fail (a major-outage minute); then four clean minutes.
    await store.addRollups([rollup(T0, { outcomes: { ok: 1, server_error: 3 } }), ...[1, 2, 3, 4].map((i) => rollup(T0 + i * M, { outcomes: { ok: 4 } }))]);
    const model = await modelAt(T0 + 5 * M, store);
    const deployment = model.components.find((c) => c.id === 'deployment:claude-direct')!;
    expect(deployment.observedMinutes).toBe(5);
    expect(deployment.observedDays).toBe(1);
    expect(deployment.uptime).toBeCloseTo(0.8, 5); // 1 bad minute of 5 observed, not 1 of 725
    expect(renderStatusHtml(model)).toContain('80.00% uptime over the 5 minutes observed');
  });

  it('says how many days were observed, and leaves days without data out of the denominator', async () => {
    const store = new MemoryStore();
    const start = Date.UTC(2026, 2, 7, 0, 0);
    await store.addRollups([0, 1, 2].map((d) => rollup(start + d * DAY, { outcomes: { ok: 10 } })));
    const model = await modelAt(start + 3 * DAY - M, store); // the end of the third day
    const deployment = model.components.find((c) => c.id === 'deployment:claude-direct')!;
    expect(deployment.observedDays).toBe(3);
    expect(deployment.uptime).toBe(1);
    expect(renderStatusHtml(model)).toContain('100.00% uptime over the 3 days observed');
    const sli = model.slis.find((s) => s.windowLabel === '30 days');
    expect(sli?.observedMs ?? 0).toBeLessThanOrEqual(3 * DAY);
  });
});
