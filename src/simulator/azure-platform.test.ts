/**
 * The simulated Azure OpenAI against the `openai` SDK's own `AzureOpenAI` client: deployment-name URLs
 * with `api-version`, the `api-key` header, Azure's extra fields in answers and streams, and its
 * content-filter refusal.
 */
import { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';

const KEY = 'azure-sim-key-0123456789abcdef0123';
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY, models: [{ name: 'gpt-4o-prod', reply: 'Hello from Azure' }] });
});
afterAll(async () => sim.close());
beforeEach(() => sim.clearFaults());

const client = (apiKey = KEY) => new AzureOpenAI({ endpoint: sim.url, apiKey, apiVersion: '2024-10-21', deployment: 'gpt-4o-prod', maxRetries: 0 });

describe('simulated Azure OpenAI with AzureOpenAI', () => {
  it('answers a deployment-name request, JSON and streamed', async () => {
    const answer = await client().chat.completions.create({ model: 'ignored', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]!.message.content).toBe('Hello from Azure');
    expect(sim.stats().recent.at(-1)).toMatchObject({ model: 'gpt-4o-prod', path: '/openai/deployments/gpt-4o-prod/chat/completions' });
    expect(sim.stats().recent.at(-1)!.headers['api-key']).toBe(KEY);
    const stream = await client().chat.completions.create({ model: 'ignored', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from Azure');
  });

  it('refuses a wrong key with 401 and a filtered prompt with the content_filter error', async () => {
    await expect(client('wrong-key-0000000000000000000').chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
    sim.setFault('gpt-4o-prod', { type: 'error', status: 400, kind: 'content_filter' });
    await expect(client().chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 400, code: 'content_filter', error: { innererror: { code: 'ResponsibleAIPolicyViolation' } },
    });
  });

  it('serves the /openai/v1 surface with the model in the body', async () => {
    const res = await fetch(`${sim.url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'api-key': KEY },
      body: JSON.stringify({ model: 'gpt-4o-prod', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { prompt_filter_results: unknown[] }).prompt_filter_results).toHaveLength(1);
  });
});
