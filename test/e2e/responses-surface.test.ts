/**
 * End to end, the OpenAI Responses surface with the official `openai` SDK: `responses.create` JSON and
 * streaming, text and a function-tool round trip continued with `previous_response_id`, answered by each
 * provider format (an `openai` deployment through pass-through to its own `/v1/responses`, the others
 * through translation), failover from a failing primary of one format to a fallback of another in the
 * middle of a conversation, `responses.retrieve` / `delete`, and the refusals a user would hit.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningKeel } from '../../src/server/start-keel.js';
import { resetSimulatedKeel, startSimulatedKeel } from '../support/simulated-keel.js';
import { checkResponsesStream } from '../support/responses-stream-rules.js';

const TOOL_RESULT = '18C and sunny';
const PROMPT = 'what is the weather in Paris today';
const PROVIDERS = [
  { provider: 'anthropic', model: 'sim-anthropic', wire: 'anthropic', path: '/v1/messages', toolEcho: TOOL_RESULT },
  { provider: 'openai', model: 'sim-openai', wire: 'openai', path: '/v1/responses', toolEcho: TOOL_RESULT },
  { provider: 'gemini', model: 'sim-gemini', wire: 'gemini', path: '/v1beta/models/sim-gemini:generateContent', toolEcho: JSON.stringify({ output: TOOL_RESULT }) },
  { provider: 'openai-compatible', model: 'sim-compat', wire: 'openai', path: '/v1/chat/completions', toolEcho: TOOL_RESULT },
] as const;
const tools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'get_weather', description: 'Current weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
];

let keel: RunningKeel;
let client: OpenAI;

beforeAll(async () => {
  keel = await startSimulatedKeel({
    deployments: [
      ...PROVIDERS.map((p) => ({ id: p.provider, provider: p.provider, model: p.model })),
      { id: 'gemini-primary', provider: 'gemini', model: 'sim-flaky' },
      { id: 'anthropic-fallback', provider: 'anthropic', model: 'sim-steady' },
      { id: 'openai-primary', provider: 'openai', model: 'sim-gpt' },
    ],
    routes: {
      mixed: { deployments: ['gemini-primary', 'anthropic-fallback'], retry: { max_attempts_per_deployment: 1 } },
      'openai-first': { deployments: ['openai-primary', 'anthropic-fallback'], retry: { max_attempts_per_deployment: 1 } },
      'claude-first': { deployments: ['anthropic-fallback', 'openai-primary'], retry: { max_attempts_per_deployment: 1 } },
    },
  });
  client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
});

afterAll(async () => {
  await keel?.stop();
});

beforeEach(() => resetSimulatedKeel(keel));

const sim = () => keel.simulator!;

async function create(params: OpenAI.Responses.ResponseCreateParamsNonStreaming & { stream?: never }, stream: boolean): Promise<OpenAI.Responses.Response> {
  if (!stream) return client.responses.create(params);
  const events = client.responses.stream(params);
  let deltas = '';
  events.on('response.output_text.delta', (event) => {
    deltas += event.delta;
  });
  const response = await events.finalResponse();
  expect(deltas).toBe(response.output_text);
  return response;
}

function calls(response: OpenAI.Responses.Response): OpenAI.Responses.ResponseFunctionToolCall[] {
  return response.output.filter((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call');
}

describe.each(PROVIDERS)('openai SDK → $provider deployment ($model)', (p) => {
  it.each([false, true])('text, stream %s', async (stream) => {
    const response = await create({ model: p.model, input: PROMPT, instructions: 'Be brief.' }, stream);
    expect(response).toMatchObject({ object: 'response', status: 'completed', instructions: 'Be brief.' });
    expect(response.id).toMatch(/^resp_/);
    expect(response.output_text).toBe(`Hello from ${p.model}. You said: ${PROMPT}`);
    expect(response.usage?.input_tokens).toBeGreaterThan(0);
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    const { total, recent } = sim().stats();
    expect(total).toBe(1);
    // A translated JSON answer is asked for as a stream and assembled by Keel; only pass-through stays JSON.
    const upstreamStream = stream || p.provider !== 'openai';
    expect(recent[0]).toMatchObject({ format: p.wire, model: p.model, stream: upstreamStream, path: p.path.replace(':generateContent', upstreamStream ? ':streamGenerateContent' : ':generateContent') });
  });

  it.each([false, true])('function tool round trip with previous_response_id, stream %s', async (stream) => {
    const first = await create({ model: p.model, input: PROMPT, tools }, stream);
    const [call] = calls(first);
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(JSON.parse(call!.arguments)).toEqual({ city: 'sample' });
    expect(call!.call_id).not.toBe('');

    const second = await create({ model: p.model, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call!.call_id, output: TOOL_RESULT }], tools }, stream);
    expect(second.output_text).toBe(`Tool get_weather returned: ${p.toolEcho}`);
    expect(second.previous_response_id).toBe(first.id);
    expect(sim().stats().total).toBe(2);

    const retrieved = await client.responses.retrieve(second.id);
    expect(retrieved.id).toBe(second.id);
    expect(retrieved.output_text).toBe(second.output_text);
  });
});

describe('structured output (text.format json_schema)', () => {
  const format = { type: 'json_schema' as const, name: 'weather', strict: true, schema: { type: 'object', properties: { city: { type: 'string' }, celsius: { type: 'integer' } }, required: ['city', 'celsius'], additionalProperties: false } };

  it.each(PROVIDERS.filter((p) => p.provider !== 'anthropic'))('$provider: the answer validates against the schema', async (p) => {
    const response = await client.responses.create({ model: p.model, input: PROMPT, text: { format } });
    expect(JSON.parse(response.output_text)).toEqual({ city: 'sample', celsius: 1 });
  });

  it('anthropic: refused with a 400 naming the feature, never answered as free text', async () => {
    const err = await client.responses.create({ model: 'sim-anthropic', input: PROMPT, text: { format } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/json_schema/);
  });
});

describe('failover', () => {
  it('a conversation continues on another provider when the first one fails mid-conversation', async () => {
    const first = await client.responses.create({ model: 'mixed', input: PROMPT, tools });
    const [call] = calls(first);
    expect(sim().stats().recent.map((r) => r.format)).toEqual(['gemini']);

    sim().setFault('sim-flaky', { type: 'error', status: 503, kind: 'unavailable' });
    for (const stream of [false, true]) {
      const second = await create({ model: 'mixed', previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call!.call_id, output: TOOL_RESULT }] }, stream);
      expect(second.output_text).toBe(`Tool get_weather returned: ${TOOL_RESULT}`);
    }
    expect(sim().stats().recent.map((r) => r.format)).toEqual(['gemini', 'gemini', 'anthropic', 'gemini', 'anthropic']);
  });

  it('a stream whose upstream fails before any content fails over invisibly', async () => {
    sim().setFault('sim-flaky', { type: 'in_stream_error', afterTokens: 0, kind: 'overloaded' });
    const res = await fetch(`${keel.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mixed', input: PROMPT, stream: true }) });
    expect(res.headers.get('x-keel-deployment')).toBe('anthropic-fallback');
    const stream = checkResponsesStream(await res.text());
    expect(stream.status).toBe('completed');
    expect(stream.text).toBe(`Hello from sim-steady. You said: ${PROMPT}`);
  });
});

async function rawStream(body: Record<string, unknown>): Promise<{ res: Response; text: string }> {
  const res = await fetch(`${keel.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { res, text };
}

describe.each(PROVIDERS)('raw SSE rules, $provider deployment ($model)', (p) => {
  it.each(['text', 'tool'] as const)('%s', async (kind) => {
    const { text } = await rawStream({ model: p.model, input: PROMPT, ...(kind === 'tool' ? { tools } : {}) });
    const stream = checkResponsesStream(text);
    expect(stream.status).toBe('completed');
    expect(stream.response.usage?.output_tokens).toBeGreaterThan(0);
    if (kind === 'text') expect(stream.text).toBe(`Hello from ${p.model}. You said: ${PROMPT}`);
    else expect(stream.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['get_weather', { city: 'sample' }]]);
  });
});

describe('failover with an openai deployment (pass-through) on either side', () => {
  it('a failing OpenAI primary hands the conversation to Anthropic, and back', async () => {
    const first = await client.responses.create({ model: 'openai-first', input: PROMPT, tools });
    const [call] = calls(first);
    sim().setFault('sim-gpt', { type: 'error', status: 500, kind: 'server_error' });
    const second = await client.responses.create({ model: 'openai-first', previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call!.call_id, output: TOOL_RESULT }] });
    expect(second.output_text).toBe(`Tool get_weather returned: ${TOOL_RESULT}`);
    sim().clearFaults();
    keel.gateway.router.resetPolicies();
    const third = await client.responses.create({ model: 'openai-first', previous_response_id: second.id, input: 'thanks' });
    expect(third.output_text).toBe('Hello from sim-gpt. You said: thanks');
    expect(sim().stats().recent.map((r) => [r.format, r.path])).toEqual([
      ['openai', '/v1/responses'], ['openai', '/v1/responses'], ['anthropic', '/v1/messages'], ['openai', '/v1/responses'],
    ]);
    // OpenAI was handed the whole conversation, as plain input items, and not an id it never saw.
    const last = sim().stats().recent.at(-1)!.body as { input: { type?: string; role?: string }[]; previous_response_id?: string };
    expect(last.previous_response_id).toBeUndefined();
    expect(last.input.map((item) => item.type ?? item.role)).toEqual(['message', 'function_call', 'function_call_output', 'message', 'message']);
  });

  it('a passed-through stream whose upstream errs before any content fails over invisibly', async () => {
    sim().setFault('sim-gpt', { type: 'in_stream_error', afterTokens: 0, kind: 'overloaded' });
    const { res, text } = await rawStream({ model: 'openai-first', input: PROMPT });
    expect(res.headers.get('x-keel-deployment')).toBe('anthropic-fallback');
    expect(checkResponsesStream(text).text).toBe(`Hello from sim-steady. You said: ${PROMPT}`);
  });

  it.each(['openai-first', 'claude-first'])('%s: a stream cut after content ends with response.failed, never response.completed', async (route) => {
    // Cut after the model's name: a replay by the other deployment begins differently, so nothing can
    // continue the answer (a pass-through Responses stream is never resumed anyway).
    sim().setFault(route === 'openai-first' ? 'sim-gpt' : 'sim-steady', { type: 'in_stream_error', afterTokens: 4, kind: 'server_error' });
    const { text } = await rawStream({ model: route, input: PROMPT });
    const stream = checkResponsesStream(text);
    expect(stream.status).toBe('failed');
    expect(stream.types).not.toContain('response.completed');
  });
});

describe('refusals', () => {
  it('a built-in tool no deployment can run is a 400 naming it', async () => {
    const err = await client.responses.create({ model: 'sim-anthropic', input: PROMPT, tools: [{ type: 'web_search' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toMatch(/web_search/);
  });

  it('background mode is a 400 naming the field', async () => {
    const err = await client.responses.create({ model: 'sim-anthropic', input: PROMPT, background: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('background');
  });

  it('a malformed input item is a 400 naming the field', async () => {
    const err = await client.responses.create({ model: 'sim-anthropic', input: [{ type: 'function_call_output', output: 'x' } as never] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('input[0].call_id');
  });

  it('an unknown previous_response_id is a 400; a deleted response is gone', async () => {
    const first = await client.responses.create({ model: 'sim-anthropic', input: PROMPT });
    await expect(client.responses.delete(first.id)).resolves.toMatchObject({ id: first.id, deleted: true });
    await expect(client.responses.retrieve(first.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const err = await client.responses.create({ model: 'sim-anthropic', previous_response_id: first.id, input: 'again' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('previous_response_id');
  });

  it('store: false keeps nothing', async () => {
    const response = await client.responses.create({ model: 'sim-anthropic', input: PROMPT, store: false });
    await expect(client.responses.retrieve(response.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});
