/**
 * End to end: SLOs configured from an OpenSLO file are evaluated by a running Keel and reported, with the
 * error budget, through the admin API.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

const TOKEN = 'admin-token-for-slo-tests-0123456789';
let keel: RunningKeel;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    env: {},
    config: {
      server: { admin_token: TOKEN },
      simulator: { token_delay_ms: 0 },
      store: { flush_interval_ms: 100 },
      slo: { openslo_file: resolve('examples/slo.yaml') },
      deployments: [{ id: 'a', provider: 'openai', model: 'sim-a', simulated: true }],
      routes: { smart: { deployments: ['a'] } },
    },
  });
});

afterAll(async () => {
  await keel.stop();
});

describe('SLOs in a running Keel', () => {
  it('reports the route SLO and its error budget at /admin/slo, behind the admin token', async () => {
    expect((await fetch(`${keel.url}/admin/slo`)).status).toBe(401);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${keel.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 300)); // the recorder flushes rollups
    await keel.services.slo!.evaluate();
    const res = await fetch(`${keel.url}/admin/slo`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { slos: { name: string; budget: { remaining: number } }[] } | null };
    expect(JSON.stringify(body)).toContain('smart-availability');
  });
});
