/**
 * The simulated Vertex AI against Anthropic's official Vertex SDK, authorised the way Google's libraries
 * do it for a service account (a self-signed JWT from google-auth-library, verified by the simulator
 * with the account's public key): Claude through rawPredict and streamRawPredict, a tool round trip, and
 * the errors. Gemini on Vertex is read with plain fetch (its SDK's Vertex mode insists on Google's hosts).
 */
import AnthropicVertex from '@anthropic-ai/vertex-sdk';
import { JWT } from 'google-auth-library';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';
import { testServiceAccount } from '../../test/support/service-account.js';

const MODEL = 'claude-sonnet-4-5@20250929';
const account = testServiceAccount(mkdtempSync(join(tmpdir(), 'keel-vertex-sim-')));
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({
    googleServiceAccount: { clientEmail: account.clientEmail, publicKeyPem: account.publicKeyPem },
    models: [{ name: MODEL, reply: 'Hello from Vertex' }, { name: 'gemini-2.5-pro', reply: 'Gemini on Vertex' }],
  });
});
afterAll(async () => sim.close());
beforeEach(() => sim.clearFaults());

function signer(key = account.privateKeyPem): JWT {
  const jwt = new JWT({ email: account.clientEmail, key, scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  jwt.useJWTAccessWithScope = true;
  return jwt;
}
const vertex = (authClient = signer()) =>
  new AnthropicVertex({ region: 'us-east5', projectId: 'keel-test-project', baseURL: `${sim.url}/v1`, authClient, maxRetries: 0 });

describe('simulated Vertex with the Anthropic Vertex SDK', () => {
  it('answers rawPredict and streamRawPredict', async () => {
    const client = vertex();
    const message = await client.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello from Vertex' });
    expect(sim.stats().recent.at(-1)!.path).toBe(`/v1/projects/keel-test-project/locations/us-east5/publishers/anthropic/models/${MODEL}:rawPredict`);
    const stream = client.messages.stream({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect((await stream.finalMessage()).content[0]).toMatchObject({ type: 'text', text: 'Hello from Vertex' });
    expect(sim.stats().recent.at(-1)!.path).toMatch(/:streamRawPredict$/);
  });

  it('runs a tool round trip', async () => {
    const client = vertex();
    const tools = [{ name: 'lookup', description: 'look up', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } }];
    const first = await client.messages.create({ model: MODEL, max_tokens: 50, tools, tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'find x' }] });
    const call = first.content.find((block) => block.type === 'tool_use') as { id: string } | undefined;
    expect(call).toBeDefined();
    const second = await client.messages.create({
      model: MODEL, max_tokens: 50, tools,
      messages: [{ role: 'user', content: 'find x' }, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call!.id, content: 'found' }] }],
    });
    expect(second.stop_reason).toBe('end_turn');
  });

  it('refuses a JWT signed by another key, and reports quota exhaustion as Google does', async () => {
    const other = testServiceAccount(mkdtempSync(join(tmpdir(), 'keel-vertex-other-')), 'intruder');
    await expect(vertex(signer(other.privateKeyPem)).messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
    sim.setFault(MODEL, { type: 'error', status: 429 });
    const refused = vertex().messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    await expect(refused).rejects.toMatchObject({ status: 429, error: { error: { status: 'RESOURCE_EXHAUSTED' } } });
  });
});

describe('simulated Vertex Gemini', () => {
  it('answers generateContent and streamGenerateContent?alt=sse under publishers/google', async () => {
    const token = (await signer().getRequestHeaders()).get('authorization')!;
    const base = `${sim.url}/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro`;
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    const json = await fetch(`${base}:generateContent`, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body });
    expect(((await json.json()) as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]!.content.parts[0]!.text).toBe('Gemini on Vertex');
    const sse = await fetch(`${base}:streamGenerateContent?alt=sse`, { method: 'POST', headers: { authorization: token, 'content-type': 'application/json' }, body });
    expect(sse.headers.get('content-type')).toContain('text/event-stream');
    expect(await sse.text()).toContain('data: ');
    const anonymous = await fetch(`${base}:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(anonymous.status).toBe(401);
  });
});
