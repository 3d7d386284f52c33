/**
 * End to end: secrets never leave Keel. A representative flow — both official SDKs, JSON and streams,
 * failover, upstream errors that echo the provider's key (in messages, raw bodies and headers), a client
 * that sends a provider key to Keel by mistake, the admin API, /metrics, /healthz, /status — runs with
 * recognisable fake provider keys (`sk-test-CANARY-...`, from the environment and from a key file) and a
 * canary admin token. Every log line, response header and body is then scanned for them, and for every
 * virtual key secret except in the one answer that issued it. Upstream requests are scanned too: a
 * virtual key must never reach a provider.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

const OPENAI_KEY = 'sk-test-CANARY-openai-7f3a9c1e5b2d4f60a8';
// Not shaped like a key (no sk-/AIza prefix): only the registry of loaded secrets can catch these two.
const ANTHROPIC_KEY = 'ant-test-CANARY-anthropic-2c8e1a7d9b3f5e04';
const GEMINI_KEY = 'gm-test-CANARY-gemini-5d1f3b7a9c2e4068';
const ADMIN_TOKEN = 'admin-CANARY-token-9e8d7c6b5a493827';
const CANARY = /CANARY/;

let keel: RunningKeel;
const logLines: string[] = [];
/** Everything a client could see: status line, headers and body of every answer. */
const seen: { label: string; text: string }[] = [];
/** Answers that issued a virtual key secret: the only place that secret may appear. */
const issuedIn = new Map<string, string>();
const virtualSecrets: string[] = [];

async function capture(label: string, res: Response): Promise<Response> {
  const body = await res.text();
  const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
  seen.push({ label, text: `${res.status}\n${headers}\n\n${body}` });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

const capturingFetch = (async (input: string | URL | Request, init?: RequestInit) => capture(`${init?.method ?? 'GET'} ${String(input)}`, await fetch(input, init))) as typeof fetch;

async function admin(method: string, path: string, body?: unknown): Promise<any> {
  const res = await capturingFetch(`${keel.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.json();
}

async function issue(json: { key: string }): Promise<string> {
  virtualSecrets.push(json.key);
  issuedIn.set(json.key, seen.at(-1)!.text);
  return json.key;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-secrets-'));
  writeFileSync(join(dir, 'anthropic.key'), `${ANTHROPIC_KEY}\n`);
  keel = await startKeel({
    port: 0,
    logger: silentLogger(logLines),
    env: { OPENAI_KEY, GEMINI_KEY, KEEL_ADMIN_TOKEN: ADMIN_TOKEN },
    config: {
      server: { admin_token: '${KEEL_ADMIN_TOKEN}' },
      simulator: { token_delay_ms: 0 },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'oa', provider: 'openai', model: 'sim-oa', simulated: true, api_key: '${OPENAI_KEY}' },
        { id: 'an', provider: 'anthropic', model: 'sim-an', simulated: true, api_key_file: join(dir, 'anthropic.key') },
        { id: 'ge', provider: 'gemini', model: 'sim-ge', simulated: true, api_key: '${GEMINI_KEY}' },
      ],
      routes: {
        smart: { deployments: ['oa', 'an'], retry: { max_attempts_per_deployment: 1 } },
        claude: { deployments: ['an', 'oa'], retry: { max_attempts_per_deployment: 1 } },
        gem: { deployments: ['ge'], retry: { max_attempts_per_deployment: 1 } },
      },
    },
  });
});

afterAll(async () => {
  await keel?.stop();
});

const echo = (key: string) => `Incorrect API key provided: ${key}. You can find your API key at https://example.com.`;
const user = (content: string) => [{ role: 'user' as const, content }];

describe('secret scan', () => {
  it('runs the flow', async () => {
    const sim = keel.simulator!;
    const appKey = await issue(await admin('POST', '/admin/keys', { name: 'app', tenant: 'acme' }));
    const otherKey = await issue(await admin('POST', '/admin/keys', { name: 'other', priority: 'batch' }));
    const openai = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: appKey, maxRetries: 0, fetch: capturingFetch });
    const anthropic = new Anthropic({ baseURL: keel.url, apiKey: otherKey, maxRetries: 0, fetch: capturingFetch });

    // Happy paths, both formats, JSON and streams, across formats too.
    await openai.chat.completions.create({ model: 'smart', messages: user('json please') });
    for await (const _ of await openai.chat.completions.create({ model: 'claude', messages: user('stream please'), stream: true })) void _;
    await anthropic.messages.create({ model: 'claude', max_tokens: 50, messages: user('hello') });
    for await (const _ of anthropic.messages.stream({ model: 'gem', max_tokens: 50, messages: user('stream me') })) void _;

    // The Responses API: passed through to OpenAI, translated for Anthropic, streamed, read back.
    const stored = await openai.responses.create({ model: 'smart', input: 'responses json' });
    for await (const _ of await openai.responses.create({ model: 'claude', input: 'responses stream', stream: true })) void _;
    await openai.responses.retrieve(stored.id);

    // Failover past an upstream that echoes its key, in the message and in a header.
    sim.setFault('sim-oa', { type: 'error', status: 503, kind: 'overloaded', message: echo(OPENAI_KEY), headers: { 'x-upstream-key': OPENAI_KEY } });
    const failedOver = await openai.chat.completions.create({ model: 'smart', messages: user('fail over') }).withResponse();
    expect(failedOver.response.headers.get('x-keel-deployment')).toBe('an');
    for await (const _ of await openai.chat.completions.create({ model: 'smart', messages: user('stream fail over'), stream: true })) void _;
    await openai.responses.create({ model: 'smart', input: 'responses fail over' });
    for await (const _ of await openai.responses.create({ model: 'smart', input: 'responses stream fail over', stream: true })) void _;

    // Upstream client errors relayed to the client, echoing each provider's key.
    sim.setFault('sim-oa', { type: 'error', status: 400, kind: 'bad_request', message: echo(OPENAI_KEY) });
    sim.setFault('sim-an', { type: 'error', status: 400, kind: 'bad_request', message: echo(ANTHROPIC_KEY) });
    sim.setFault('sim-ge', { type: 'error', status: 400, kind: 'bad_request', message: echo(GEMINI_KEY) });
    await expect(openai.chat.completions.create({ model: 'smart', messages: user('bad') })).rejects.toThrow(/REDACTED/);
    await expect(anthropic.messages.create({ model: 'claude', max_tokens: 5, messages: user('bad') })).rejects.toThrow(/REDACTED/);
    await expect(anthropic.messages.create({ model: 'gem', max_tokens: 5, messages: user('bad') })).rejects.toThrow();
    await expect(openai.chat.completions.create({ model: 'claude', messages: user('bad stream'), stream: true })).rejects.toThrow();
    await expect(openai.responses.create({ model: 'smart', input: 'bad responses' })).rejects.toThrow(/REDACTED/);
    await expect(openai.responses.create({ model: 'gem', input: 'bad responses', stream: true })).rejects.toThrow();

    // Keel's own key refused upstream (a 502 naming the deployment), and a raw body that echoes it.
    sim.setFault('sim-oa', { type: 'error', status: 401, kind: 'auth', message: echo(OPENAI_KEY) });
    await expect(openai.chat.completions.create({ model: 'smart', messages: user('auth') })).rejects.toThrow();
    sim.setFault('*', { type: 'error', status: 503, body: `upstream down; key=${OPENAI_KEY} ${ANTHROPIC_KEY} ${GEMINI_KEY}` });
    await expect(openai.chat.completions.create({ model: 'smart', messages: user('all down') })).rejects.toThrow();
    await expect(anthropic.messages.create({ model: 'claude', max_tokens: 5, messages: user('all down'), stream: true })).rejects.toThrow();
    sim.clearFaults();

    // A client that sends a provider key (or a mangled virtual key) to Keel by mistake.
    await capturingFetch(`${keel.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${OPENAI_KEY}` }, body: '{}' });
    await capturingFetch(`${keel.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': `${appKey}x` }, body: '{}' });
    await capturingFetch(`${keel.url}/admin/keys`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });

    // The admin API: listing, one key, rotation (a new one-time secret), revocation, audit, breakers.
    await admin('GET', '/admin/keys');
    await admin('GET', '/admin/keys/app');
    await issue(await admin('POST', '/admin/keys/other/rotate'));
    await admin('POST', '/admin/keys/app/revoke');
    await admin('GET', '/admin/audit?limit=1000');
    await admin('GET', '/admin/breakers');
    await admin('POST', '/admin/config/validate', undefined);

    for (const path of ['/metrics', '/healthz', '/status', '/v1/models']) await capturingFetch(`${keel.url}${path}`, { headers: { 'x-api-key': virtualSecrets.at(-1)! } });

    // The flow really used the canaries: the simulator received the provider keys.
    const upstream = JSON.stringify(sim.stats().recent.map((r) => r.headers));
    expect(upstream).toContain(OPENAI_KEY);
    expect(upstream).toContain(ANTHROPIC_KEY);
    expect(upstream).toContain(GEMINI_KEY);
    // ...and never a virtual key: those stay between the client and Keel.
    for (const secret of virtualSecrets) expect(JSON.stringify(sim.stats().recent)).not.toContain(secret);
  });

  it('finds no provider key or admin token in any answer or log line', async () => {
    expect(seen.length).toBeGreaterThan(25);
    expect(logLines.length).toBeGreaterThan(20);
    const leaks = [...seen, ...logLines.map((text, i) => ({ label: `log line ${i}`, text }))].filter(({ text }) => CANARY.test(text)).map(({ label, text }) => `${label}: ${text.slice(0, 300)}`);
    expect(leaks).toEqual([]);
    // The relayed upstream errors were there, redacted rather than dropped.
    expect(seen.some(({ text }) => text.includes('Incorrect API key provided: [REDACTED]'))).toBe(true);
  });

  it('finds each virtual key secret only in the answer that issued it', async () => {
    expect(virtualSecrets).toHaveLength(3);
    for (const secret of virtualSecrets) {
      const places = seen.filter(({ text }) => text.includes(secret)).map(({ text }) => text);
      expect(places).toEqual([issuedIn.get(secret)]);
      expect(logLines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
