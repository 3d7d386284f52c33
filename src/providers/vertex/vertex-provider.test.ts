/**
 * The Vertex provider against the real simulator, authorised with a service-account key file through
 * google-auth-library (self-signed JWTs the simulator verifies): Claude translated and passed through
 * (the body edited in place), Gemini translated, regional and global URLs, and Vertex's errors.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { chatRequest, type ChatRequest } from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';
import type { AttemptResult } from '../types.js';
import { resetGoogleTokenCaches } from './google-credentials.js';
import { deploymentFormatFor } from '../index.js';
import { VertexProvider, vertexPath } from './vertex-provider.js';
import { streamItems, streamedText } from '../../../test/support/stream-items.js';
import { simulatorForTests } from '../../../test/support/simulator-for-tests.js';
import { testDeployment } from '../../../test/support/test-deployment.js';
import { testServiceAccount } from '../../../test/support/service-account.js';

const CLAUDE = 'claude-sonnet-4-5@20250929';
const account = testServiceAccount(mkdtempSync(join(tmpdir(), 'keel-vertex-provider-')));
const sim = simulatorForTests({
  googleServiceAccount: { clientEmail: account.clientEmail, publicKeyPem: account.publicKeyPem },
  models: [{ name: CLAUDE, reply: 'Claude on Vertex' }, { name: 'gemini-2.5-pro', reply: 'Gemini on Vertex' }],
});
const provider = new VertexProvider();

beforeEach(() => resetGoogleTokenCaches());

const chat = (fields: Partial<ChatRequest> = {}): ChatRequest =>
  chatRequest({ model: 'claude', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }], ...fields });

function deployment(model: string, fields: Partial<Deployment> = {}): Deployment {
  return testDeployment({ id: `vertex-${model}`, provider: 'vertex', model, baseUrl: sim().url, region: 'us-east5', project: 'keel-test-project', credentialsFile: account.keyFile, ...fields });
}

function send(request: ChatRequest, dep: Deployment, passthroughBody?: Buffer): Promise<AttemptResult> {
  return provider.send({ deployment: dep, request, ...(passthroughBody === undefined ? {} : { passthroughBody }), timeouts: { idleMs: 20_000 }, signal: new AbortController().signal, requestId: 'req_test' });
}

const items = streamItems;

const text = streamedText;

describe('vertexPath', () => {
  it('names the publisher, region and method', () => {
    expect(vertexPath(deployment(CLAUDE), true)).toBe(`/v1/projects/keel-test-project/locations/us-east5/publishers/anthropic/models/${encodeURIComponent(CLAUDE)}:streamRawPredict`);
    expect(vertexPath(deployment('gemini-2.5-pro', { region: 'global' }), false)).toBe('/v1/projects/keel-test-project/locations/global/publishers/google/models/gemini-2.5-pro:generateContent');
  });
});

describe('VertexProvider', () => {
  it('translates to Claude with the Vertex anthropic_version and a signed service-account token', async () => {
    expect(await send(chat(), deployment(CLAUDE))).toMatchObject({ kind: 'json', response: { content: [{ type: 'text', text: 'Claude on Vertex' }] } });
    const seen = sim().stats().recent.at(-1)!;
    expect(seen.body).toMatchObject({ anthropic_version: 'vertex-2023-10-16' });
    expect(seen.body).not.toHaveProperty('model');
    expect(seen.headers['authorization']).toMatch(/^Bearer ey/);
  });

  it('passes an Anthropic stream body through with stream kept and model moved to the URL', async () => {
    const raw = Buffer.from('{"model":"claude","stream":true,"max_tokens":30,"messages":[{"role":"user","content":"hi"}],"metadata":{"user_id":"u1"}}');
    const all = await items(await send(chat({ stream: true }), deployment(CLAUDE), raw));
    expect(all.at(-1)).toEqual({ kind: 'end' });
    expect(text(all)).toBe('Claude on Vertex');
    expect(sim().stats().recent.at(-1)!.body).toEqual({ anthropic_version: 'vertex-2023-10-16', stream: true, max_tokens: 30, messages: [{ role: 'user', content: 'hi' }], metadata: { user_id: 'u1' } });
  });

  it('translates to Gemini, and speaks Gemini\'s format for Gemini models (Anthropic\'s for Claude)', async () => {
    expect(await send(chat(), deployment('gemini-2.5-pro'))).toMatchObject({ kind: 'json', response: { content: [{ type: 'text', text: 'Gemini on Vertex' }] } });
    expect(deploymentFormatFor(deployment('gemini-2.5-pro'), 'anthropic')).toBe('gemini');
    expect(deploymentFormatFor(deployment(CLAUDE), 'anthropic')).toBe('anthropic');
    // A Gemini-format client's body is sent as it came, and the provider's bytes come back for forwarding.
    const body = Buffer.from(JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { candidateCount: 1 } }));
    const all = await items(await send(chat({ stream: true }), deployment('gemini-2.5-pro'), body));
    expect(all.some((i) => i.kind === 'data' && i.raw !== undefined)).toBe(true);
    expect(all.at(-1)).toEqual({ kind: 'end' });
    expect(text(all)).toBe('Gemini on Vertex');
  });

  it('classifies quota exhaustion, Claude overload and missing credentials', async () => {
    sim().setFault(CLAUDE, { type: 'error', status: 429, times: 1 });
    expect(await send(chat(), deployment(CLAUDE))).toMatchObject({ kind: 'failure', failure: { outcome: 'rate_limited', status: 429 } });
    sim().setFault(CLAUDE, { type: 'error', status: 529, times: 1 });
    expect(await send(chat(), deployment(CLAUDE))).toMatchObject({ kind: 'failure', failure: { outcome: 'overloaded', providerType: 'overloaded_error' } });
    const missing = await send(chat(), deployment(CLAUDE, { credentialsFile: '/nonexistent/keel-sa.json' }));
    expect(missing).toMatchObject({ kind: 'failure', failure: { outcome: 'auth', message: expect.stringContaining('deployment vertex-claude-sonnet-4-5@20250929: no Google access token') as string } });
  });
});
