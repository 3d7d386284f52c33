/**
 * End to end, the endpoints around chat that real clients call, with the official SDKs: OpenAI's
 * `embeddings.create` failing over only to a deployment of the same embedding model, Anthropic's
 * `messages.countTokens` forwarded to an Anthropic-format deployment, `models.list` in each SDK's own
 * shape, Anthropic's protocol headers passed on, and the refusals that must be clear (an unknown path,
 * a system turn inside Anthropic messages).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningKeel } from '../../src/server/start-keel.js';
import { resetSimulatedKeel, startSimulatedKeel } from '../support/simulated-keel.js';

const SMALL = 'text-embedding-3-small';
let keel: RunningKeel;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  keel = await startSimulatedKeel({
    deployments: [
      { id: 'emb-primary', provider: 'openai', model: 'sim-embed-a', capabilities: { embedding_model: SMALL } },
      { id: 'emb-other-model', provider: 'openai', model: 'sim-embed-large', capabilities: { embedding_model: 'text-embedding-3-large' } },
      { id: 'emb-fallback', provider: 'openai-compatible', model: 'sim-embed-b', capabilities: { embedding_model: SMALL } },
      { id: 'gpt', provider: 'openai', model: 'sim-gpt' },
      { id: 'claude-a', provider: 'anthropic', model: 'sim-claude-a' },
      { id: 'claude-b', provider: 'anthropic', model: 'sim-claude-b' },
    ],
    routes: {
      embed: { deployments: ['emb-primary', 'emb-other-model', 'emb-fallback'] },
      smart: { deployments: ['gpt', 'claude-a', 'claude-b'] },
      'gpt-only': { deployments: ['gpt'] },
    },
  });
  openai = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: keel.url, apiKey: 'client-key', maxRetries: 0 });
});

afterAll(async () => {
  await keel?.stop();
});

beforeEach(() => resetSimulatedKeel(keel));

const upstream = () => keel.simulator!.stats().recent.map((r) => [r.model, r.path]);

describe('POST /v1/embeddings', () => {
  it('answers the SDK (base64 vectors by default) from the primary', async () => {
    const { data, response } = await openai.embeddings.create({ model: 'embed', input: ['hello', 'world'] }).withResponse();
    expect(data.data.map((d) => d.index)).toEqual([0, 1]);
    expect(data.data[0]!.embedding).toHaveLength(8);
    expect(data.data[0]!.embedding).not.toEqual(data.data[1]!.embedding);
    expect(response.headers.get('x-keel-deployment')).toBe('emb-primary');
    expect(upstream()).toEqual([['sim-embed-a', '/v1/embeddings']]);
  });

  it('fails over past a failing primary only to a deployment of the same embedding model', async () => {
    keel.simulator!.setFault('sim-embed-a', { type: 'error', status: 503, kind: 'overloaded' });
    const { response } = await openai.embeddings.create({ model: 'embed', input: 'hello', encoding_format: 'float' }).withResponse();
    expect(response.headers.get('x-keel-deployment')).toBe('emb-fallback');
    expect(response.headers.get('x-keel-fallbacks')).toBe('1');
    expect(upstream()).toEqual([['sim-embed-a', '/v1/embeddings'], ['sim-embed-b', '/v1/embeddings']]);
  });

  it('lists the attempts when every deployment of the model failed, never asking another model', async () => {
    keel.simulator!.setFault('*', { type: 'error', status: 503, kind: 'overloaded' });
    const err = (await openai.embeddings.create({ model: 'embed', input: 'hello' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(503);
    expect(upstream().map(([model]) => model)).toEqual(['sim-embed-a', 'sim-embed-b']);
  });

  it('refuses a route without an embeddings deployment, and bad input naming the field', async () => {
    const noEmbeddings = (await openai.embeddings.create({ model: 'gpt-only', input: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(noEmbeddings).toBeInstanceOf(OpenAI.BadRequestError);
    expect(noEmbeddings.message).toMatch(/embedding_model/);
    const badInput = (await openai.embeddings.create({ model: 'embed', input: [] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(badInput).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badInput.param).toBe('input');
    expect(upstream()).toEqual([]);
  });
});

describe('POST /v1/messages/count_tokens', () => {
  it("is forwarded to the route's Anthropic-format deployment, failing over between them", async () => {
    const first = await anthropic.messages.countTokens({ model: 'smart', system: 'Be brief.', messages: [{ role: 'user', content: 'how many tokens is this' }] });
    expect(first.input_tokens).toBeGreaterThan(0);
    keel.simulator!.setFault('sim-claude-a', { type: 'error', status: 529, kind: 'overloaded' });
    const second = await anthropic.messages.countTokens({ model: 'smart', messages: [{ role: 'user', content: 'again' }] }, { headers: { 'anthropic-beta': 'token-counting-2024-11-01' } });
    expect(second.input_tokens).toBeGreaterThan(0);
    expect(upstream()).toEqual([['sim-claude-a', '/v1/messages/count_tokens'], ['sim-claude-a', '/v1/messages/count_tokens'], ['sim-claude-b', '/v1/messages/count_tokens']]);
    expect(keel.simulator!.stats().recent.at(-1)!.headers['anthropic-beta']).toBe('token-counting-2024-11-01');
  });

  it('is refused with a clear 400 when the route has no Anthropic-format deployment', async () => {
    const err = await anthropic.messages.countTokens({ model: 'gpt-only', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.APIError>).message).toMatch(/Anthropic-format deployment/);
    expect(upstream()).toEqual([]);
  });
});

describe('Anthropic protocol headers', () => {
  it('forwards anthropic-version and anthropic-beta unchanged to an Anthropic deployment, as Claude Code needs', async () => {
    const headers = { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14,context-1m-2025-08-07' };
    await anthropic.messages.create({ model: 'sim-claude-a', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }, { headers });
    for await (const _ of anthropic.messages.stream({ model: 'sim-claude-a', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }, { headers })) void _;
    for (const record of keel.simulator!.stats().recent) {
      expect(record.headers['anthropic-beta']).toBe(headers['anthropic-beta']);
      expect(record.headers['anthropic-version']).toBe(headers['anthropic-version']);
    }
  });
});

describe('GET /v1/models', () => {
  it("answers each SDK in its own shape", async () => {
    const openaiIds = [];
    for await (const model of openai.models.list()) openaiIds.push(model.id);
    const anthropicIds = [];
    for await (const model of anthropic.models.list()) anthropicIds.push(model.id);
    expect(openaiIds).toContain('smart');
    expect(anthropicIds).toEqual(openaiIds);
  });
});

describe('refusals a user must understand', () => {
  it('an unknown path names the endpoints Keel serves', async () => {
    const res = await fetch(`${keel.url}/v1/completions`, { method: 'POST' });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string } };
    for (const endpoint of ['POST /v1/chat/completions', 'POST /v1/responses', 'POST /v1/messages', 'POST /v1/embeddings']) expect(body.error.message).toContain(endpoint);
  });

  it('a system turn inside Anthropic messages is refused as Anthropic refuses it, whatever the upstream', async () => {
    const err = await anthropic.messages
      .create({ model: 'gpt-only', max_tokens: 20, messages: [{ role: 'user', content: 'x' }, { role: 'system' as 'user', content: 'be terse' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (err as InstanceType<typeof Anthropic.APIError>).error as { error: { type: string; message: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/^messages: Unexpected role "system"/) });
    expect(upstream()).toEqual([]);
  });
});
