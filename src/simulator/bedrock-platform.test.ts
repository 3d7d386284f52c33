/**
 * The simulated Bedrock against the official clients, so it is an oracle rather than a mirror of Keel:
 * AWS's Bedrock Runtime client and Anthropic's Bedrock SDK sign real requests (SigV4) and read real
 * answers, streams (event-stream framing) and errors from it.
 */
import AnthropicBedrock from '@anthropic-ai/bedrock-sdk';
import { BedrockRuntimeClient, InvokeModelCommand, InvokeModelWithResponseStreamCommand, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';

const KEYS = { accessKeyId: 'AKIDSIMTEST000000000', secretAccessKey: 'sim-test-secret-key-0123456789abcdef' };
const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ aws: KEYS, models: [{ name: MODEL, reply: 'Hello from Bedrock' }] });
});
afterAll(async () => sim.close());
beforeEach(() => sim.clearFaults());

const aws = (secretAccessKey = KEYS.secretAccessKey) =>
  new BedrockRuntimeClient({ region: 'us-west-2', endpoint: sim.url, credentials: { accessKeyId: KEYS.accessKeyId, secretAccessKey }, maxAttempts: 1,
    // The client defaults to HTTP/2 (for its bidirectional operation); the simulator speaks HTTP/1.1.
    requestHandler: new NodeHttpHandler() });
const anthropic = () =>
  new AnthropicBedrock({ awsRegion: 'us-west-2', awsAccessKey: KEYS.accessKeyId, awsSecretKey: KEYS.secretAccessKey, baseURL: sim.url, maxRetries: 0 });
const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('simulated Bedrock with the AWS SDK', () => {
  it('answers InvokeModel with an Anthropic message', async () => {
    const out = await aws().send(new InvokeModelCommand({ modelId: MODEL, contentType: 'application/json', body: body() }));
    const message = JSON.parse(new TextDecoder().decode(out.body)) as { content: { text: string }[]; stop_reason: string };
    expect(message.content[0]!.text).toBe('Hello from Bedrock');
    expect(message.stop_reason).toBe('end_turn');
    expect(sim.stats().recent.at(-1)).toMatchObject({ model: MODEL, path: `/model/${encodeURIComponent(MODEL)}/invoke` });
  });

  it('streams chunks the SDK decodes into Anthropic events', async () => {
    const out = await aws().send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, contentType: 'application/json', body: body() }));
    const types: string[] = [];
    let text = '';
    for await (const event of out.body!) {
      const data = JSON.parse(new TextDecoder().decode(event.chunk!.bytes)) as { type: string; delta?: { text?: string } };
      types.push(data.type);
      text += data.delta?.text ?? '';
    }
    expect(text).toBe('Hello from Bedrock');
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
  });

  it('refuses a wrong secret with InvalidSignatureException, and a throttle fault as ThrottlingException', async () => {
    await expect(aws('wrong-secret').send(new InvokeModelCommand({ modelId: MODEL, body: body() }))).rejects.toMatchObject({
      name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 },
    });
    sim.setFault(MODEL, { type: 'error', status: 429 });
    await expect(aws().send(new InvokeModelCommand({ modelId: MODEL, body: body() }))).rejects.toBeInstanceOf(ThrottlingException);
  });

  it('delivers a mid-stream failure as an exception the SDK throws', async () => {
    sim.setFault(MODEL, { type: 'in_stream_error', afterTokens: 1 });
    const out = await aws().send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: body() }));
    await expect(async () => {
      for await (const _event of out.body!) { /* read until the exception */ }
    }).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
  });

  it('refuses a body with a model field as Bedrock does', async () => {
    await expect(aws().send(new InvokeModelCommand({ modelId: MODEL, body: body({ model: 'x' }) }))).rejects.toMatchObject({
      name: 'ValidationException', message: expect.stringContaining('extraneous key [model]') as string,
    });
  });
});

describe('simulated Bedrock with the Anthropic Bedrock SDK', () => {
  it('answers messages.create, JSON and streamed', async () => {
    const client = anthropic();
    const message = await client.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content[0]).toMatchObject({ type: 'text', text: 'Hello from Bedrock' });
    const stream = client.messages.stream({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect((await stream.finalMessage()).content[0]).toMatchObject({ type: 'text', text: 'Hello from Bedrock' });
  });

  it('runs a tool round trip', async () => {
    const client = anthropic();
    const tools = [{ name: 'get_weather', description: 'weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
    const first = await client.messages.create({ model: MODEL, max_tokens: 50, tools, tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'weather in Paris?' }] });
    const call = first.content.find((block) => block.type === 'tool_use');
    expect(call).toBeDefined();
    const second = await client.messages.create({
      model: MODEL, max_tokens: 50, tools,
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: (call as { id: string }).id, content: 'sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
  });

  it('surfaces a throttle as a 429 APIError', async () => {
    sim.setFault(MODEL, { type: 'error', status: 429 });
    await expect(anthropic().messages.create({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 429 });
  });
});
