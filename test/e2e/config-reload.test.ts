/**
 * End to end: an operator edits keel.yaml and reloads it through the admin API; a new route serves at
 * once, and a broken edit is refused with the issues while the running config keeps serving.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

const TOKEN = 'admin-token-for-reload-tests-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'keel-reload-'));
const file = join(dir, 'keel.yaml');
const base = [
  `server: { admin_token: ${TOKEN} }`,
  'store: { path: ":memory:" }',
  'simulator: { token_delay_ms: 0 }',
  'deployments:',
  '  - { id: a, provider: openai, model: sim-a, simulated: true }',
  '  - { id: b, provider: openai-compatible, model: sim-b, simulated: true }',
  'routes:',
  '  smart: { deployments: [a, b] }',
  '',
].join('\n');
let keel: RunningKeel;

beforeAll(async () => {
  writeFileSync(file, base);
  keel = await startKeel({ configPath: file, port: 0, logger: silentLogger(), env: {} });
});

afterAll(async () => {
  await keel.stop();
});

const ask = (model: string) =>
  fetch(`${keel.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
const reload = () => fetch(`${keel.url}/admin/config/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });

describe('config reload', () => {
  it('serves a route added to the file once reloaded, and refuses a broken file without losing the old config', async () => {
    expect((await ask('fast')).status).toBe(404);
    writeFileSync(file, base + '  fast: { deployments: [b] }\n');
    const ok = await reload();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { routes: string[] }).routes).toEqual(['smart', 'fast']);
    const res = await ask('fast');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-keel-deployment')).toBe('b');

    writeFileSync(file, base.replace('routes:', 'routez:'));
    const bad = await reload();
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toMatch(/routez/);
    expect((await ask('fast')).status).toBe(200);
    const audit = (await (await fetch(`${keel.url}/admin/audit`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { data: { action: string }[] };
    expect(audit.data.map((e) => e.action)).toContain('config.reload');
  });
});
