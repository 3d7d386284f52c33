import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStatuspage } from '../health/vendor/parse-statuspage.js';
import { startSimulator } from './index.js';
import type { Simulator } from './types.js';
import { VendorStatusPage } from './vendor-status-page.js';

const T0 = Date.UTC(2026, 11, 3, 12, 0, 0);
const MIN = 60_000;

describe('VendorStatusPage', () => {
  it('walks an incident through investigating → resolved, as Keel’s Statuspage parser reads it', () => {
    let now = T0;
    const page = new VendorStatusPage({ name: 'Anthropic status (simulated)', components: ['Claude API'], nowMs: () => now });
    const read = (path: string) => parseStatuspage(page.handle(path, undefined)!.body);
    expect(read('/api/v2/summary.json')).toEqual({ incidents: [], components: [{ name: 'Claude API', status: 'operational' }] });

    now = T0 + 7 * MIN;
    page.post({ status: 'investigating', message: 'We are investigating elevated errors.' });
    now = T0 + 20 * MIN;
    page.post({ status: 'identified' });
    const open = read('/api/v2/summary.json');
    expect(open.components).toEqual([{ name: 'Claude API', status: 'major_outage' }]);
    expect(open.incidents).toHaveLength(1);
    expect(open.incidents[0]).toMatchObject({ status: 'identified', impact: 'major', components: ['Claude API'], startedAt: T0 + 7 * MIN });
    expect(open.incidents[0]!.updates.map((u) => [u.status, u.at])).toEqual([
      ['investigating', T0 + 7 * MIN],
      ['identified', T0 + 20 * MIN],
    ]);
    expect(open.incidents[0]!.updates[0]!.body).toBe('We are investigating elevated errors.');

    now = T0 + 2 * 60 * MIN;
    page.post({ status: 'resolved' });
    const done = read('/api/v2/summary.json');
    expect(done.incidents).toEqual([]);
    expect(done.components[0]!.status).toBe('operational');
    const history = read('/api/v2/incidents.json');
    expect(history.incidents[0]).toMatchObject({ status: 'resolved', resolvedAt: T0 + 2 * 60 * MIN });
    // A resolve with nothing open opens nothing; the next investigating opens a second incident.
    page.post({ status: 'resolved' });
    page.post({ status: 'investigating', impact: 'minor' });
    expect(read('/api/v2/incidents.json').incidents.map((i) => [i.status, i.impact])).toEqual([
      ['investigating', 'minor'],
      ['resolved', 'major'],
    ]);
    expect(read('/api/v2/summary.json').components[0]!.status).toBe('partial_outage');
  });

  it('answers 304 to a matching If-None-Match until the page changes, and nothing for other paths', () => {
    const page = new VendorStatusPage({ nowMs: () => T0 });
    const first = page.handle('/api/v2/summary.json', undefined)!;
    expect(first.status).toBe(200);
    expect(page.handle('/api/v2/summary.json', first.headers['etag'])!.status).toBe(304);
    expect(page.handle('/api/v2/incidents.json', first.headers['etag'])!.status).toBe(200);
    page.post({ status: 'investigating' });
    expect(page.handle('/api/v2/summary.json', first.headers['etag'])!.status).toBe(200);
    expect(page.handle('/api/v2/components.json', undefined)).toBeUndefined();
  });
});

describe('the simulator serves it', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('at /api/v2/*.json, with updates posted through the control API', async () => {
    const post = (body: unknown) => fetch(`${sim.url}/_sim/vendor-status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ status: 'down' })).status).toBe(400);
    expect((await post({ status: 'investigating', impact: 'huge' })).status).toBe(400);
    expect((await post({ status: 'investigating', message: 'Looking into it.' })).status).toBe(200);
    const res = await fetch(`${sim.url}/api/v2/summary.json`);
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag')!;
    const parsed = parseStatuspage(await res.text());
    expect(parsed.incidents[0]!.updates[0]!.body).toBe('Looking into it.');
    expect((await fetch(`${sim.url}/api/v2/summary.json`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});
