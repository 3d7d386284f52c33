import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { RollupRecorder } from '../store/rollup-recorder.js';
import { isProbeRequestId, newProbeRequestId } from './probe-id.js';
import { MemoryStore } from './__fixtures__/memory-store.js';
import { SyntheticTraffic } from './__fixtures__/synthetic-traffic.js';

describe('probe request ids', () => {
  it('are recognisable and safe as request ids', () => {
    const id = newProbeRequestId('gpt-direct');
    expect(isProbeRequestId(id)).toBe(true);
    expect(id).toMatch(/^probe_gpt-direct_[0-9a-f]{12}$/);
    expect(isProbeRequestId('req_123')).toBe(false);
  });

  it('let the rollup recorder store probes apart from client traffic', async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const traffic = new SyntheticTraffic(clock, [{ id: 'gpt-direct', provider: 'openai' }]);
    const store = new MemoryStore();
    const recorder = new RollupRecorder({ store, priceOf: () => undefined, timer: () => () => undefined });
    recorder.attach(traffic.events);
    traffic.request('req_1');
    traffic.request(newProbeRequestId('gpt-direct'));
    await recorder.flush();
    const rows = await store.readRollups({ fromMinute: 0, toMinute: Date.UTC(2026, 0, 1) });
    expect(rows.map((r) => `${r.scope}/${r.source}/${JSON.stringify(r.outcomes)}`).sort()).toEqual([
      'deployment/client/{"ok":1}',
      'deployment/probe/{"ok":1}',
      'route/client/{"ok":1}',
      'route/probe/{"ok":1}',
    ]);
  });
});
