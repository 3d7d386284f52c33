/**
 * The Azure OpenAI provider against the real simulator: deployment-name and v1 URLs, `api-key` and Entra
 * bearer authorisation, Azure's first stream chunk without choices, and content-filter refusals (an
 * error body, or an answer wholly withheld) classified as `content_filter`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { chatRequest, type ChatRequest } from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';
import type { AttemptResult } from '../types.js';
import { azureOpenAIProvider } from './azure-openai-provider.js';
import { classifyAzureOpenAIError } from './azure-openai-error.js';
import { streamItems, streamedText } from '../../../test/support/stream-items.js';
import { simulatorForTests } from '../../../test/support/simulator-for-tests.js';
import { testDeployment } from '../../../test/support/test-deployment.js';

const KEY = 'azure-provider-test-key-0123456789';
const sim = simulatorForTests({ apiKey: KEY, models: [{ name: 'gpt-4o-eu', reply: 'Bonjour from Azure' }] });
const provider = azureOpenAIProvider();

const chat = (fields: Partial<ChatRequest> = {}): ChatRequest =>
  chatRequest({ model: 'gpt', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }], ...fields });

function send(request: ChatRequest, fields: Partial<Deployment> = {}): Promise<AttemptResult> {
  return provider.send({
    deployment: testDeployment({ id: 'azure-eu', provider: 'azure-openai', model: 'gpt-4o-eu', baseUrl: sim().url, apiKey: KEY, ...fields }),
    request,
    timeouts: { idleMs: 20_000 },
    signal: new AbortController().signal,
    requestId: 'req_test',
  });
}

describe('Azure OpenAI provider', () => {
  it('calls the deployment-name URL with api-version and api-key', async () => {
    expect(await send(chat())).toMatchObject({ kind: 'json', response: { content: [{ type: 'text', text: 'Bonjour from Azure' }] } });
    const seen = sim().stats().recent.at(-1)!;
    expect(seen.path).toBe('/openai/deployments/gpt-4o-eu/chat/completions');
    expect(seen.headers['api-key']).toBe(KEY);
    expect(seen.headers['authorization']).toBeUndefined();
  });

  it('streams through Azure\'s choice-less first chunk', async () => {
    const all = await streamItems(await send(chat({ stream: true })));
    expect(all.at(-1)).toEqual({ kind: 'end' });
    expect(streamedText(all)).toBe('Bonjour from Azure');
  });

  it('uses the v1 surface and an Entra bearer token when configured', async () => {
    await send(chat(), { apiVersion: 'v1', azureAuth: 'entra' });
    const seen = sim().stats().recent.at(-1)!;
    expect(seen.path).toBe('/openai/v1/chat/completions');
    expect(seen.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(seen.body).toMatchObject({ model: 'gpt-4o-eu' });
  });

  it('classifies a content-filter refusal, a throttle and a wrong key', async () => {
    sim().setFault('gpt-4o-eu', { type: 'error', status: 400, kind: 'content_filter', times: 1 });
    expect(await send(chat())).toMatchObject({ kind: 'failure', failure: { outcome: 'content_filter', providerCode: 'content_filter' } });
    sim().setFault('gpt-4o-eu', { type: 'error', status: 429, retryAfterS: 1, times: 1 });
    expect(await send(chat())).toMatchObject({ kind: 'failure', failure: { outcome: 'rate_limited', retryAfterMs: 1000 } });
    expect(await send(chat(), { apiKey: 'wrong-key-000000000000000000' })).toMatchObject({ kind: 'failure', failure: { outcome: 'auth', status: 401 } });
  });
});

describe('an answer wholly withheld by Azure\'s filter', () => {
  it('is a content_filter refusal, not an empty answer', async () => {
    const withheld = {
      id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'gpt-4o',
      choices: [{ index: 0, finish_reason: 'content_filter', message: { role: 'assistant', content: null }, content_filter_results: { violence: { filtered: true, severity: 'high' } } }],
      usage: { prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 },
    };
    // A 200 the simulator's faults cannot make: a one-answer server on loopback.
    const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(withheld)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await send(chat(), { id: 'azure-withheld', baseUrl })).toMatchObject({ kind: 'failure', failure: { outcome: 'content_filter', message: expect.stringContaining('deployment azure-withheld') as string } });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('classifyAzureOpenAIError', () => {
  it('recognises ResponsibleAIPolicyViolation without the content_filter code', () => {
    const body = JSON.stringify({ error: { message: 'filtered', code: 'invalid_prompt', innererror: { code: 'ResponsibleAIPolicyViolation' } } });
    expect(classifyAzureOpenAIError(400, body, {}, 0)).toMatchObject({ outcome: 'content_filter', providerType: 'ResponsibleAIPolicyViolation' });
  });
});
