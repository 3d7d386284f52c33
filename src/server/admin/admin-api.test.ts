import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../start-keel.js';
import { silentLogger } from '../../../test/support/silent-logger.js';

const TOKEN = 'admin-token-for-tests-0123456789';
let keel: RunningKeel;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    env: {},
    config: {
      server: { admin_token: TOKEN },
      simulator: { token_delay_ms: 0 },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'a', provider: 'openai', model: 'sim-a', simulated: true },
        { id: 'b', provider: 'openai', model: 'sim-b', simulated: true },
      ],
      routes: { smart: { deployments: ['a', 'b'] } },
    },
  });
});

afterAll(async () => {
  await keel.stop();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) {
  const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${keel.url}${path}`, init);
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
}

describe('admin API access', () => {
  it('refuses a missing, wrong or differently sized token, and accepts the x-keel-admin-token header', async () => {
    expect((await call('GET', '/admin/keys', undefined, {})).status).toBe(401);
    expect((await call('GET', '/admin/keys', undefined, { authorization: `Bearer ${TOKEN.slice(0, -1)}x` })).status).toBe(401);
    expect((await call('GET', '/admin/keys', undefined, { authorization: 'Bearer x' })).status).toBe(401);
    const wrong = await call('POST', '/admin/keys', { name: 'sneaky' }, { 'x-keel-admin-token': `${TOKEN}${TOKEN}` });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.message).toBe('Invalid admin token.');
    expect((await call('GET', '/admin/keys', undefined, { 'x-keel-admin-token': TOKEN })).status).toBe(200);
    // Nothing was created by the refused calls.
    expect((await call('GET', '/admin/audit')).json.data.filter((e: { action: string }) => e.action === 'key.create')).toEqual([]);
  });

  it('is off (404, like any unknown path) without an admin token', async () => {
    const plain = await startKeel({ port: 0, logger: silentLogger(), env: {}, config: { deployments: [{ id: 'x', provider: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', model: 'm' }] } });
    try {
      const res = await fetch(`${plain.url}/admin/keys`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });

  it('answers unknown admin paths with 404 and wrong methods with 405', async () => {
    expect((await call('GET', '/admin/nothing')).status).toBe(404);
    const res = await call('PUT', '/admin/keys');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});

describe('admin keys', () => {
  it('creates a key (its secret shown once), lists it without the secret, refuses bad input', async () => {
    const created = await call('POST', '/admin/keys', { name: 'app', tenant: 'acme', models: ['smart'], rpm: 60, daily_budget_usd: 5 });
    expect(created.status).toBe(201);
    expect(created.json.key).toMatch(/^keel_[A-Za-z0-9_-]{43}$/);
    expect(created.json).toMatchObject({ name: 'app', tenant: 'acme', status: 'active', prefix: `${created.json.key.slice(0, 13)}…` });
    const list = await call('GET', '/admin/keys');
    const text = JSON.stringify(list.json);
    expect(text).not.toContain(created.json.key);
    expect(text).not.toContain('hash');
    expect(list.json.data).toHaveLength(1);

    const bad = await call('POST', '/admin/keys', { name: 'x', rpm: -1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('rpm');
    expect((await call('POST', '/admin/keys', { name: 'app' })).json.error.message).toContain('already exists');
    expect((await call('POST', '/admin/keys', '{"name":"a","name":"b"}')).status).toBe(400);
    expect((await call('POST', '/admin/keys/key_nope/revoke')).status).toBe(404);
  });
});

describe('admin breakers', () => {
  it('shows every breaker, forces one open (traffic fails over) and closed again, auditing both', async () => {
    expect(Object.keys((await call('GET', '/admin/breakers')).json.data)).toEqual(['a', 'b']);
    expect((await call('POST', '/admin/breakers/a/open')).json.state.state).toBe('forced_open');
    const key = (await call('POST', '/admin/keys', { name: 'breaker-client' })).json.key as string;
    const chat = () =>
      fetch(`${keel.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect((await chat()).headers.get('x-keel-deployment')).toBe('b');
    expect((await call('POST', '/admin/breakers/a/close')).json.state.state).toBe('closed');
    expect((await chat()).headers.get('x-keel-deployment')).toBe('a');
    expect((await call('POST', '/admin/breakers/zzz/open')).status).toBe(404);
    const actions = (await call('GET', '/admin/audit')).json.data.map((e: { actor: string; action: string; target: string }) => `${e.actor} ${e.action} ${e.target}`);
    expect(actions).toEqual(expect.arrayContaining(['admin breaker.force_open a', 'admin breaker.force_close a']));
  });
});

describe('admin incidents and maintenance', () => {
  it('lists incidents, posts an update, resolves, and refuses to resolve twice', async () => {
    const now = Date.now();
    await keel.store.saveIncident({
      id: 'inc_1',
      component: 'deployment:a',
      title: 'a is failing',
      status: 'investigating',
      impact: 'partial_outage',
      openedAt: now,
      impactStart: now,
      updates: [{ at: now, status: 'investigating', message: 'Errors on a.', author: 'keel' }],
    });
    expect((await call('GET', '/admin/incidents?open=true')).json.data.map((i: { id: string }) => i.id)).toEqual(['inc_1']);
    const updated = await call('POST', '/admin/incidents/inc_1/updates', { status: 'identified', message: 'Provider capacity.' });
    expect(updated.status).toBe(201);
    expect(updated.json.updates.at(-1)).toMatchObject({ status: 'identified', author: 'admin' });
    const resolved = await call('POST', '/admin/incidents/inc_1/resolve', {});
    expect(resolved.json).toMatchObject({ status: 'resolved' });
    expect(resolved.json.resolvedAt).toBeGreaterThanOrEqual(now);
    expect((await call('POST', '/admin/incidents/inc_1/resolve', {})).status).toBe(400);
    expect((await call('GET', '/admin/incidents?open=true')).json.data).toEqual([]);
    expect((await call('POST', '/admin/incidents/inc_1/updates', { status: 'bogus', message: 'x' })).json.error.param).toBe('status');
  });

  it('creates and lists maintenance windows', async () => {
    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    const endsAt = new Date(Date.now() + 7_200_000).toISOString();
    const created = await call('POST', '/admin/maintenance', { component: 'deployment:b', starts_at: startsAt, ends_at: endsAt, description: 'Provider upgrade' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ component: 'deployment:b', createdBy: 'admin' });
    expect((await call('GET', '/admin/maintenance')).json.data.map((m: { id: string }) => m.id)).toContain(created.json.id);
    expect((await call('POST', '/admin/maintenance', { component: 'x', starts_at: endsAt, ends_at: startsAt, description: 'd' })).json.error.param).toBe('ends_at');
  });
});

describe('admin config validation', () => {
  it('validates posted YAML, listing every issue with its path', async () => {
    const good = 'deployments:\n  - { id: d, provider: openai, model: gpt-4.1, api_key: "${NOT_SET:-x}" }\nroutes: { smart: { deployments: [d] } }\n';
    expect((await call('POST', '/admin/config/validate', good, { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' })).json).toMatchObject({ valid: true, deployments: ['d'], routes: ['smart'] });
    const bad = await call('POST', '/admin/config/validate', 'deployments:\n  - { id: d, provider: nope, model: m }\n', { authorization: `Bearer ${TOKEN}` });
    expect(bad.status).toBe(422);
    expect(bad.json.issues[0].path).toBe('deployments[0].provider');
    // This gateway's config is inline, not a file: there is nothing to re-read.
    expect((await call('POST', '/admin/config/validate')).status).toBe(400);
  });
});
