/**
 * End to end: virtual keys in front of a real Keel and the real simulator, driven by both official SDKs
 * and raw fetch. Keys are created through the admin API (and once through `keel keys`); each limit and
 * budget is enforced in the client's own error format; revoked and expired keys are refused; tenants see
 * neither each other's cached answers, stored responses nor usage; open mode is loopback-only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/router/router-types.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
let keel: RunningKeel;
const requests: RequestRecord[] = [];

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    env: { KEEL_ADMIN_TOKEN: ADMIN_TOKEN },
    config: {
      server: { admin_token: '${KEEL_ADMIN_TOKEN}' },
      simulator: { token_delay_ms: 0 },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'a', provider: 'openai', model: 'sim-a', simulated: true },
        { id: 'b', provider: 'anthropic', model: 'sim-b', simulated: true },
        // $1 per input token: one request spends a few dollars.
        { id: 'priced', provider: 'openai', model: 'sim-priced', simulated: true, price: { input_per_mtok: 1_000_000, output_per_mtok: 0 } },
      ],
      routes: {
        smart: { deployments: ['a', 'b'], degraded: { cache_ttl_s: 60 }, retry: { max_attempts_per_deployment: 1 } },
        other: { deployments: ['b'] },
        priced: { deployments: ['priced'] },
      },
    },
  });
  keel.gateway.router.events.on('request', (r) => requests.push(r));
});

afterAll(async () => {
  await keel.stop();
});

beforeEach(() => {
  keel.simulator!.clearFaults();
  keel.gateway.router.resetPolicies();
});

async function admin(method: string, path: string, body?: unknown, token: string | undefined = ADMIN_TOKEN): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(`${keel.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, json: await res.json() };
}

let counter = 0;
async function newKey(settings: Record<string, unknown> = {}): Promise<{ id: string; secret: string; name: string }> {
  const name = `k${++counter}`;
  const { status, json } = await admin('POST', '/admin/keys', { name, ...settings });
  expect(status).toBe(201);
  return { id: json.id, secret: json.key, name };
}

const openai = (key: string) => new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: key, maxRetries: 0 });
const anthropic = (key: string) => new Anthropic({ baseURL: keel.url, apiKey: key, maxRetries: 0 });
const ask = (content: string, model = 'smart') => ({ model, messages: [{ role: 'user' as const, content }] });
const chat = (key: string, body: unknown) =>
  fetch(`${keel.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });

describe('authentication', () => {
  it('serves a key through both SDKs, and refuses requests without one in their own format', async () => {
    const { secret } = await newKey({ tenant: 'acme' });
    const reply = await openai(secret).chat.completions.create(ask('hello'));
    expect(reply.choices[0]!.message.content).toContain('hello');
    const message = await anthropic(secret).messages.create({ ...ask('hi claude', 'other'), max_tokens: 50 });
    expect(message.content[0]).toMatchObject({ type: 'text' });

    const missing = await fetch(`${keel.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask('x')) });
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as any).error.code).toBe('invalid_api_key');
    const err = await anthropic('keel_wrong').messages.create({ ...ask('x'), max_tokens: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it("refuses a revoked key at once, a rotated key's old secret, and an expired key", async () => {
    const key = await newKey();
    expect((await chat(key.secret, ask('one'))).status).toBe(200);
    const rotated = await admin('POST', `/admin/keys/${key.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect((await chat(key.secret, ask('two'))).status).toBe(401);
    expect((await chat(rotated.json.key, ask('three'))).status).toBe(200);
    expect((await admin('POST', `/admin/keys/${key.id}/revoke`)).json.status).toBe('revoked');
    const revoked = await chat(rotated.json.key, ask('four'));
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as any).error.message).toContain('revoked');

    const expired = await newKey({ expires_at: new Date(Date.now() - 1_000).toISOString() });
    const res = await chat(expired.secret, ask('late'));
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.message).toContain('expired');
  });
});

describe('limits and budgets', () => {
  it('refuses a model the key may not use, naming it, in each format', async () => {
    const { secret } = await newKey({ models: ['other'] });
    const res = await chat(secret, ask('x', 'smart'));
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error).toMatchObject({ type: 'permission_error', param: 'model' });
    const err = await anthropic(secret).messages.create({ ...ask('x', 'smart'), max_tokens: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(String((err as Error).message)).toContain("'smart'");
  });

  it('enforces requests per minute: 429 with Retry-After and x-ratelimit headers', async () => {
    const { secret } = await newKey({ rpm: 2 });
    const ok = await chat(secret, ask('a'));
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await chat(secret, ask('b'));
    const limited = await chat(secret, ask('c'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d)?s$|^1m0s$/);
    expect(((await limited.json()) as any).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it('enforces tokens per minute from the estimate (body size and max_tokens)', async () => {
    const { secret } = await newKey({ tpm: 500 });
    const first = await chat(secret, { ...ask('short'), max_tokens: 400 });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('500');
    // The estimate (~20 for the body + 400 for max_tokens) is reserved up front...
    expect(Number(first.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100);
    // ...and what the answer did not use comes back when usage is known.
    expect((await chat(secret, { ...ask('short'), max_tokens: 400 })).status).toBe(200);
    const third = await chat(secret, { ...ask('short'), max_tokens: 490 });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).not.toBeNull();
    expect(((await third.json()) as any).error.message).toContain('500 tokens per minute');
  });

  it('stops a key whose daily or monthly budget is spent, saying which', async () => {
    const daily = await newKey({ daily_budget_usd: 1 });
    expect((await chat(daily.secret, ask('spend some', 'priced'))).status).toBe(200);
    const refused = await chat(daily.secret, ask('more', 'priced'));
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as any;
    expect(body.error).toMatchObject({ code: 'insufficient_quota' });
    expect(body.error.message).toMatch(/daily budget of \$1 for key 'k\d+' is exhausted/);
    const view = await admin('GET', `/admin/keys/${daily.id}`);
    expect(view.json.spend_today_usd).toBeGreaterThan(1);

    const monthly = await newKey({ monthly_budget_usd: 2 });
    await chat(monthly.secret, ask('spend a lot of money here', 'priced'));
    const err = await anthropic(monthly.secret).messages.create({ ...ask('again', 'priced'), max_tokens: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(String((err as Error).message)).toContain('monthly budget');
  });
});

describe('isolation', () => {
  it("passes the key's tenant and priority class to the router; a batch key cannot claim interactive", async () => {
    const { secret } = await newKey({ tenant: 'nightly', priority: 'batch' });
    await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}`, 'x-request-id': 'batch-req-1', 'x-keel-priority': 'interactive' },
      body: JSON.stringify(ask('batch job')),
    });
    expect(requests.find((r) => r.requestId === 'batch-req-1')).toMatchObject({ tenant: 'nightly', priority: 'batch' });
  });

  it("never serves one tenant's cached answer to another", async () => {
    const alice = await newKey({ tenant: 'alice' });
    const bob = await newKey({ tenant: 'bob' });
    const fresh = await chat(alice.secret, ask('the secret plan'));
    expect(fresh.status).toBe(200);
    keel.simulator!.setFault('*', { type: 'error', status: 503 });
    const cached = await chat(alice.secret, ask('the secret plan'));
    expect(cached.headers.get('x-keel-degraded')).toBe('cache');
    const other = await chat(bob.secret, ask('the secret plan'));
    expect(other.status).toBe(503);
    expect(await other.text()).not.toContain('the secret plan');
  });

  it('lists only the models the key may use, in each SDK', async () => {
    const { secret } = await newKey({ models: ['other'] });
    const ids = [];
    for await (const model of openai(secret).models.list()) ids.push(model.id);
    expect(ids).toEqual(['other']);
    const anthropicIds = [];
    for await (const model of anthropic(secret).models.list()) anthropicIds.push(model.id);
    expect(anthropicIds).toEqual(['other']);
  });

  it("never lets one tenant read, continue or delete another tenant's stored response", async () => {
    const alice = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: (await newKey({ tenant: 'alice' })).secret, maxRetries: 0 });
    const bob = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: (await newKey({ tenant: 'bob' })).secret, maxRetries: 0 });
    const kept = await alice.responses.create({ model: 'other', input: 'the secret plan' });
    await expect(bob.responses.retrieve(kept.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(bob.responses.delete(kept.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(bob.responses.create({ model: 'other', previous_response_id: kept.id, input: 'go on' })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const continued = await alice.responses.create({ model: 'other', previous_response_id: kept.id, input: 'go on' });
    expect(continued.output_text).toContain('go on');
    expect((await alice.responses.retrieve(kept.id)).output_text).toBe(kept.output_text);
  });

  it('shows usage only to the admin, never through a client surface', async () => {
    const { secret } = await newKey();
    const models = await fetch(`${keel.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
    expect(models.status).toBe(200);
    expect(await models.text()).not.toMatch(/spend|tenant/);
    expect((await fetch(`${keel.url}/admin/keys`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
  });
});

describe('open mode and the keys CLI', () => {
  const minimal = (extra: Record<string, unknown> = {}) => ({ deployments: [{ id: 'x', provider: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', model: 'm' }], ...extra });

  it('refuses to serve a non-loopback address without keys unless allowed', async () => {
    await expect(startKeel({ port: 0, host: '0.0.0.0', logger: silentLogger(), env: {}, config: minimal() })).rejects.toThrow(/allow_open/);
    const open = await startKeel({ port: 0, host: '0.0.0.0', allowOpen: true, logger: silentLogger(), env: {}, config: minimal() });
    await open.stop();
    const lines: string[] = [];
    const loopback = await startKeel({ port: 0, logger: silentLogger(lines), env: {}, config: minimal() });
    expect(lines.join('')).toContain('no virtual keys configured');
    await loopback.stop();
  });

  it('creates a key with `keel keys create` that a gateway on the same store accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-keys-'));
    const db = join(dir, 'keel.db');
    const run = (args: string[]) => promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), resolve('src/cli/keel.ts'), 'keys', ...args, '--store', db], { cwd: dir });
    const created = JSON.parse((await run(['create', '--name', 'cli-app', '--models', 'm', '--rpm', '5', '--json'])).stdout) as { key: string };
    expect(created.key).toMatch(/^keel_/);
    expect((await run(['list'])).stdout).not.toContain(created.key);
    const gateway = await startKeel({ port: 0, logger: silentLogger(), env: {}, config: minimal({ store: { path: db } }) });
    try {
      const refused = await fetch(`${gateway.url}/v1/models`);
      expect(refused.status).toBe(401);
      const accepted = await fetch(`${gateway.url}/v1/models`, { headers: { 'x-api-key': created.key } });
      expect(accepted.status).toBe(200);
    } finally {
      await gateway.stop();
    }
  });
});
