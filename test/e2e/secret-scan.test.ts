/**
 * End to end: secrets never leave Keel. A representative flow — both official SDKs, JSON and streams,
 * failover, upstream errors that echo the provider's key (in messages, raw bodies and headers), a client
 * that sends a provider key to Keel by mistake, the admin API, /metrics, /healthz, /status —  runs with
 * recognisable fake provider keys (`sk-test-CANARY-...`, from the environment and from a key file) and a
 * canary admin token, and the operator console signs in and opens every view. Every log line, response header and body is then scanned for them, and for every
 * virtual key secret except in the one answer that issued it. Upstream requests are scanned too: a
 * virtual key must never reach a provider.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetAwsCredentialChains } from '../../src/providers/bedrock/aws-credentials.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { testServiceAccount } from '../support/service-account.js';
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

    // The operator console: sign-in, every view and its live fragment, its module, reads and an action.
    const signIn = await capturingFetch(`${keel.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: keel.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${encodeURIComponent(ADMIN_TOKEN)}`,
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    let csrf = '';
    for (const view of ['traffic', 'breakers', 'incidents', 'keys', 'slo', 'config', 'audit']) {
      const page = await (await capturingFetch(`${keel.url}/console/${view}`, { headers: { cookie } })).text();
      csrf = /name="csrf" content="([^"]+)"/.exec(page)![1]!;
      await capturingFetch(`${keel.url}/console/fragments/${view}`, { headers: { cookie } });
    }
    await capturingFetch(`${keel.url}/console/assets/console.js`, { headers: { cookie } });
    const consolePost = (path: string, body?: unknown) =>
      capturingFetch(`${keel.url}/console/api/${path}`, { method: 'POST', headers: { cookie, origin: keel.url, 'x-keel-csrf': csrf, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    await issue((await (await consolePost('keys', { name: 'console-made' })).json()) as { key: string });
    await consolePost('config/validate');
    await capturingFetch(`${keel.url}/console/api/audit`, { headers: { cookie } });
    await capturingFetch(`${keel.url}/console/login`, { method: 'POST', headers: { origin: keel.url, 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(`${ADMIN_TOKEN}x`)}` });

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
    expect(virtualSecrets).toHaveLength(4);
    for (const secret of virtualSecrets) {
      const places = seen.filter(({ text }) => text.includes(secret)).map(({ text }) => text);
      expect(places).toEqual([issuedIn.get(secret)]);
      expect(logLines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

/**
 * The same scan for cloud credentials: an AWS secret access key and session token (from the environment,
 * and a wrong secret from a shared credentials file), a Google service account's private key (from its
 * key file), and Azure keys. Happy paths, upstream errors echoing them, and deployments whose credentials
 * the clouds refuse (a 502 naming the deployment) must leave none of them in any answer or log line; the
 * AWS secret and the private key never even travel upstream (they only sign).
 */
describe('secret scan, cloud credentials', () => {
  const AWS_KEY_ID = 'AKIDCANARY0000000000';
  const AWS_SECRET = 'CANARY/aws+secret/0123456789abcdefghijklm';
  const AWS_SESSION = 'FwoGZXIvYXdzCANARYsession0123456789abcdefghijklmnop';
  const AWS_WRONG_SECRET = 'CANARY/wrong+secret/0123456789abcdefghijk';
  const AZURE_KEY = 'azure0CANARY0key0123456789abcdef';
  const AZURE_WRONG_KEY = 'azure0CANARY0wrong0123456789abcd';
  const dir = mkdtempSync(join(tmpdir(), 'keel-cloud-secrets-'));
  const account = testServiceAccount(dir, 'keel-scan');
  const intruder = testServiceAccount(dir, 'intruder');
  /** A recognisable slice of each private key's body: what a leak of the key file would show. */
  const keySlices = [account.privateKeyPem, intruder.privateKeyPem].map((pem) => pem.split('\n')[5]!);
  const cloudLogs: string[] = [];
  const cloudSeen: { label: string; text: string }[] = [];
  let cloudKeel: RunningKeel;
  let cloud: Simulator;
  const saved = { ...process.env };

  const scanFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    const body = await res.text();
    cloudSeen.push({ label: `${init?.method ?? 'GET'} ${String(input)}`, text: `${res.status}\n${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body}` });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;

  beforeAll(async () => {
    writeFileSync(join(dir, 'credentials'), `[wrong]\naws_access_key_id = ${AWS_KEY_ID}\naws_secret_access_key = ${AWS_WRONG_SECRET}\n`);
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: AWS_KEY_ID, AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_SESSION_TOKEN: AWS_SESSION,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config'), AWS_EC2_METADATA_DISABLED: 'true',
    });
    resetAwsCredentialChains();
    cloud = await startSimulator({
      aws: { accessKeyId: AWS_KEY_ID, secretAccessKey: AWS_SECRET },
      googleServiceAccount: { clientEmail: account.clientEmail, publicKeyPem: account.publicKeyPem },
      apiKey: AZURE_KEY,
    });
    cloudKeel = await startKeel({
      port: 0,
      logger: silentLogger(cloudLogs),
      env: { AZURE_KEY, AZURE_WRONG_KEY },
      config: {
        resilience: { adaptive_throttle: { enabled: false } },
        deployments: [
          { id: 'bedrock', provider: 'bedrock', model: 'anthropic.claude-sim-v1:0', region: 'us-east-1', base_url: cloud.url },
          { id: 'vertex', provider: 'vertex', model: 'claude-sim@1', region: 'us-east5', project: 'keel-scan', base_url: cloud.url, credentials_file: account.keyFile },
          { id: 'azure', provider: 'azure-openai', model: 'gpt-sim', base_url: cloud.url, api_key: '${AZURE_KEY}' },
          { id: 'bedrock-wrong', provider: 'bedrock', model: 'anthropic.claude-sim-v1:0', region: 'us-east-1', base_url: cloud.url, aws_profile: 'wrong' },
          { id: 'vertex-wrong', provider: 'vertex', model: 'claude-sim@1', region: 'us-east5', project: 'keel-scan', base_url: cloud.url, credentials_file: intruder.keyFile },
          { id: 'azure-wrong', provider: 'azure-openai', model: 'gpt-sim', base_url: cloud.url, api_key: '${AZURE_WRONG_KEY}' },
        ],
        routes: Object.fromEntries(['bedrock', 'vertex', 'azure', 'bedrock-wrong', 'vertex-wrong', 'azure-wrong'].map((id) => [`r-${id}`, { deployments: [id], retry: { max_attempts_per_deployment: 1 } }])),
      },
    });
  });

  afterAll(async () => {
    await cloudKeel?.stop();
    await cloud?.close();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    resetAwsCredentialChains();
  });

  it('runs the cloud flow', async () => {
    const openai = new OpenAI({ baseURL: `${cloudKeel.url}/v1`, apiKey: 'client', maxRetries: 0, fetch: scanFetch });
    const anthropic = new Anthropic({ baseURL: cloudKeel.url, apiKey: 'client', maxRetries: 0, fetch: scanFetch });
    for (const id of ['bedrock', 'vertex', 'azure']) {
      await openai.chat.completions.create({ model: `r-${id}`, messages: user('json please') });
      for await (const _ of await openai.chat.completions.create({ model: `r-${id}`, messages: user('stream please'), stream: true })) void _;
      await anthropic.messages.create({ model: `r-${id}`, max_tokens: 50, messages: user('hello') });
      for await (const _ of anthropic.messages.stream({ model: `r-${id}`, max_tokens: 50, messages: user('stream me') })) void _;
    }

    // Upstream errors that echo credentials, in the message and in a header.
    cloud.setFault('anthropic.claude-sim-v1:0', { type: 'error', status: 400, kind: 'bad_request', message: `bad: ${AWS_SECRET} ${AWS_SESSION}`, headers: { 'x-echo': AWS_SESSION } });
    cloud.setFault('gpt-sim', { type: 'error', status: 400, kind: 'bad_request', message: echo(AZURE_KEY) });
    await expect(openai.chat.completions.create({ model: 'r-bedrock', messages: user('bad') })).rejects.toThrow(/REDACTED/);
    await expect(anthropic.messages.create({ model: 'r-azure', max_tokens: 5, messages: user('bad') })).rejects.toThrow(/REDACTED/);
    cloud.clearFaults();

    // Credentials the clouds refuse: a clear 502 naming the deployment.
    for (const id of ['bedrock-wrong', 'vertex-wrong', 'azure-wrong']) {
      const err = await openai.chat.completions.create({ model: `r-${id}`, messages: user('who am i') }).then(() => undefined, (e: unknown) => e as { status: number; message: string });
      expect(err?.status, id).toBe(502);
      expect(err?.message).toContain(`deployment ${id}`);
    }

    // The AWS secrets and the private keys only sign: they never travel upstream.
    const upstream = JSON.stringify(cloud.stats().recent);
    for (const secret of [AWS_SECRET, AWS_WRONG_SECRET, ...keySlices]) expect(upstream).not.toContain(secret);
    expect(upstream).toContain(AWS_SESSION); // the session token does, as AWS requires
    expect(upstream).toContain(AZURE_KEY);
  });

  it('finds no AWS secret, session token, private key or Azure key in any answer or log line', () => {
    expect(cloudSeen.length).toBeGreaterThan(12);
    expect(cloudLogs.length).toBeGreaterThan(10);
    const all = [...cloudSeen, ...cloudLogs.map((text, i) => ({ label: `log line ${i}`, text }))];
    const leaks = all
      .filter(({ text }) => CANARY.test(text) || keySlices.some((slice) => text.includes(slice)))
      .map(({ label, text }) => `${label}: ${text.slice(0, 300)}`);
    expect(leaks).toEqual([]);
  });
});
