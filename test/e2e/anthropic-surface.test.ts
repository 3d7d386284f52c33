/**
 * End to end: the Anthropic-compatible surface (`POST /v1/messages`) of a real Keel in front of the real
 * simulator, driven by the official `@anthropic-ai/sdk` client and by raw fetch for what the SDK would
 * refuse to send or would hide (the exact event sequence). Anthropic clients answered by OpenAI-format
 * deployments exercise translation both ways; Anthropic deployments exercise pass-through.
 */
import Anthropic, { APIError, ServiceUnavailableError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkAnthropicEventOrder, parseAnthropicSse } from '../../src/api/anthropic/__fixtures__/anthropic-event-order.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

const CLAUDE_KEY = 'sk-ant-test-CLAUDE-0123456789abcdef';
// One attempt per deployment: failures in these tests should fail over (or fail) at once, not back off.
const once = { max_attempts_per_deployment: 1 };

let keel: RunningKeel;
let client: Anthropic;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: { token_delay_ms: 0, models: [] },
      // Exact attempt counts: no random local shedding by the adaptive throttle.
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'gpt', provider: 'openai', model: 'sim-gpt', simulated: true },
        // One deployment per failure case: a failure feeds the deployment's breaker and adaptive
        // throttle, which could refuse the next call there, and must never touch the happy paths.
        { id: 'gpt-cut', provider: 'openai', model: 'sim-gpt-cut', simulated: true },
        { id: 'gpt-cut-raw', provider: 'openai', model: 'sim-gpt-cut-raw', simulated: true },
        { id: 'gpt-error', provider: 'openai', model: 'sim-gpt-error', simulated: true },
        { id: 'down-a', provider: 'openai', model: 'sim-down-a', simulated: true },
        { id: 'down-b', provider: 'openai-compatible', model: 'sim-down-b', simulated: true },
        { id: 'claude', provider: 'anthropic', model: 'sim-claude', simulated: true, api_key: CLAUDE_KEY },
        { id: 'claude-cut', provider: 'anthropic', model: 'sim-claude-cut', simulated: true, api_key: CLAUDE_KEY },
        { id: 'claude-cut-raw', provider: 'anthropic', model: 'sim-claude-cut-raw', simulated: true, api_key: CLAUDE_KEY },
      ],
      routes: {
        smart: { deployments: ['gpt'], retry: once },
        down: { deployments: ['down-a', 'down-b'], retry: once },
        mixed: { deployments: ['claude', 'gpt'], retry: once },
      },
    },
  });
  client = new Anthropic({ baseURL: keel.url, apiKey: 'client-key', maxRetries: 0 });
});

afterAll(async () => {
  await keel.stop();
});

beforeEach(() => {
  keel.simulator!.clearFaults();
  keel.simulator!.resetStats();
});

const sim = () => keel.simulator!;
const user = (content: string): Anthropic.MessageParam[] => [{ role: 'user', content }];
const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${keel.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Streams through the SDK's accumulator, collecting the text deltas it reports on the way. */
async function streamed(params: Anthropic.MessageStreamParams): Promise<{ text: string; message: Anthropic.Message }> {
  const stream = client.messages.stream(params);
  let text = '';
  stream.on('text', (delta) => {
    text += delta;
  });
  const message = await stream.finalMessage();
  return { text, message };
}

/** Runs a stream that should break, returning the SDK's error and the text that arrived before it. */
async function brokenStream(params: Anthropic.MessageStreamParams): Promise<{ error: unknown; text: string }> {
  const stream = client.messages.stream(params);
  let text = '';
  stream.on('text', (delta) => {
    text += delta;
  });
  const error = await stream.finalMessage().then(
    () => undefined,
    (err: unknown) => err,
  );
  return { error, text };
}

describe('Anthropic surface → OpenAI deployment (translation)', () => {
  it('answers a message and names who answered', async () => {
    const { data, response } = await client.messages
      .create({ model: 'smart', max_tokens: 200, system: 'Be brief.', messages: user('hello there') })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.id).toMatch(/^msg_/);
    expect(data.content).toEqual([{ type: 'text', text: 'Hello from sim-gpt. You said: hello there' }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.stop_sequence).toBeNull();
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-keel-deployment')).toBe('gpt');
    expect(response.headers.get('x-keel-provider')).toBe('openai');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);

    const seen = sim().stats().recent.at(-1)!;
    expect(seen.format).toBe('openai');
    expect(seen.body).toMatchObject({ model: 'sim-gpt', max_completion_tokens: 200, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello there' }] });
  });

  it('accepts Authorization: Bearer as well as x-api-key, without checking either yet', async () => {
    const res = await post({ model: 'smart', max_tokens: 50, messages: user('hi') }, { authorization: 'Bearer anything' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Anthropic.Message;
    expect(body.content[0]).toMatchObject({ type: 'text' });
    expect(sim().stats().recent.at(-1)!.headers['authorization']).not.toBe('Bearer anything');
  });

  it('maps a length stop to max_tokens', async () => {
    const data = await client.messages.create({ model: 'smart', max_tokens: 3, messages: user('one two three four five six') });
    expect(data.stop_reason).toBe('max_tokens');
    expect(data.content[0]).toEqual({ type: 'text', text: 'Hello from sim-gpt.' });
  });

  it('streams in the exact event order the SDK accumulates, usage included', async () => {
    const { text, message } = await streamed({ model: 'smart', max_tokens: 200, messages: user('stream me please') });
    expect(text).toBe('Hello from sim-gpt. You said: stream me please');
    expect(message.content).toEqual([{ type: 'text', text }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);

    const res = await post({ model: 'smart', max_tokens: 200, stream: true, messages: user('raw please') });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = checkAnthropicEventOrder(await res.text());
    expect(events.filter((e) => e.event === 'message_stop')).toHaveLength(1);
  });

  it('round-trips a tool call, streamed and not', async () => {
    const first = await client.messages.create({ model: 'smart', max_tokens: 200, tools: [weatherTool], messages: user('weather in Paris?') });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(call).toMatchObject({ name: 'get_weather', input: { city: 'sample' } });

    const { message } = await streamed({ model: 'smart', max_tokens: 200, tools: [weatherTool], messages: user('weather in Paris?') });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: { city: 'sample' } })]);

    const second = await client.messages.create({
      model: 'smart',
      max_tokens: 200,
      tools: [weatherTool],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [
        ...user('weather in Paris?'),
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18C and sunny' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('18C and sunny') });
    const seen = sim().stats().recent.at(-1)!.body as { messages: unknown[]; parallel_tool_calls: unknown };
    expect(seen.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: call.id, content: '18C and sunny' });
    expect(seen.parallel_tool_calls).toBe(false);
  });
});

describe('Anthropic surface, errors in Anthropic shape', () => {
  const cases: [string, number, string, RegExp, () => Promise<Response>][] = [
    ['invalid JSON', 400, 'invalid_request_error', /not valid JSON/, () => post('{"model": "smart", "messages": [')],
    ['missing max_tokens', 400, 'invalid_request_error', /Missing required parameter: 'max_tokens'/, () => post({ model: 'smart', messages: user('x') })],
    [
      'a tool_result without tool_use_id',
      400,
      'invalid_request_error',
      /'messages\[1\]\.content\[0\]\.tool_use_id'/,
      () => post({ model: 'smart', max_tokens: 5, messages: [...user('a'), { role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }),
    ],
    [
      'a document an OpenAI deployment cannot read',
      400,
      'invalid_request_error',
      /messages\[0\]\.content\[0\]: document/,
      () => post({ model: 'smart', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }] }),
    ],
    ['unknown model', 404, 'not_found_error', /'nope' does not exist/, () => post({ model: 'nope', max_tokens: 5, messages: user('x') })],
    ['wrong content type', 415, 'invalid_request_error', /application\/json/, () => post('{}', { 'content-type': 'text/plain' })],
    ['wrong method', 405, 'invalid_request_error', /use POST/, () => fetch(`${keel.url}/v1/messages`)],
  ];

  it.each(cases)('%s → %i %s', async (_name, status, type, message, send) => {
    const res = await send();
    expect(res.status).toBe(status);
    const body = (await res.json()) as { type: string; error: { type: string; message: string }; request_id: string };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe(type);
    expect(body.error.message).toMatch(message);
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    expect(sim().stats().total).toBe(0);
  });

  it('the SDK surfaces validation and unknown-model errors as its typed errors', async () => {
    const invalid = await client.messages
      .create({ model: 'smart', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'text' } as Anthropic.TextBlockParam] }] })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(Anthropic.BadRequestError);
    expect((invalid as APIError).type).toBe('invalid_request_error');
    expect((invalid as APIError).message).toMatch(/messages\[0\]\.content\[0\]\.text/);

    const unknown = await client.messages.create({ model: 'nope', max_tokens: 5, messages: user('x') }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as APIError).type).toBe('not_found_error');
  });

  it('reports every deployment failing as an overloaded error the SDK parses, with the attempts', async () => {
    sim().setFault('sim-down-a', { type: 'error', status: 503 });
    sim().setFault('sim-down-b', { type: 'error', status: 500 });
    const err = await client.messages.create({ model: 'down', max_tokens: 5, messages: user('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    const apiError = err as APIError;
    expect(apiError.status).toBe(503);
    expect(apiError.type).toBe('overloaded_error');
    expect(apiError.headers?.get('retry-after')).toMatch(/^\d+$/);
    const attempts = (apiError.error as { error: { attempts: { deployment: string }[] } }).error.attempts;
    expect(attempts.map((a) => a.deployment)).toEqual(['down-a', 'down-b']);
  });

  it('never ends a stream cut mid-answer as a success', async () => {
    sim().setFault('sim-gpt-cut', { type: 'stream_cut', afterTokens: 3 });
    const { error, text } = await brokenStream({ model: 'sim-gpt-cut', max_tokens: 200, messages: user('one two three four five') });
    expect(text.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).type).toBe('api_error');
    expect((error as Error).message).toMatch(/interrupted/);

    sim().setFault('sim-gpt-cut-raw', { type: 'stream_cut', afterTokens: 3 });
    const res = await post({ model: 'sim-gpt-cut-raw', max_tokens: 200, stream: true, messages: user('one two three four five') });
    const events = parseAnthropicSse(await res.text());
    expect(events[0]!.event).toBe('message_start');
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { type: 'error', error: { type: 'api_error' } } });
    expect(events.some((e) => e.event === 'message_stop' || e.event === 'message_delta')).toBe(false);
  });

  it('turns a provider error mid-stream into an error event', async () => {
    sim().setFault('sim-gpt-error', { type: 'in_stream_error', afterTokens: 2 });
    const res = await post({ model: 'sim-gpt-error', max_tokens: 200, stream: true, messages: user('one two three four five') });
    const events = parseAnthropicSse(await res.text());
    expect(events.filter((e) => e.event === 'content_block_delta').length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: expect.stringMatching(/interrupted/) } } });
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);
  });

  it('is still serving after all of that', async () => {
    const data = await client.messages.create({ model: 'smart', max_tokens: 100, messages: user('still there?') });
    expect(data.content[0]).toMatchObject({ text: expect.stringContaining('still there?') });
  });
});

describe('Anthropic surface → Anthropic deployment (pass-through)', () => {
  it('forwards the body with only the model swapped, unknown fields and the deployment key included', async () => {
    const res = await post(
      { model: 'sim-claude', max_tokens: 100, messages: user('hi'), vendor_field: { keep: [1, 2.5, 'x'] }, temperature: 0.5 },
      { 'x-api-key': 'client-key' },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Anthropic.Message;
    expect(body.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('Hello from sim-claude') });
    expect(res.headers.get('x-keel-provider')).toBe('anthropic');
    const seen = sim().stats().recent.at(-1)!;
    expect(seen.format).toBe('anthropic');
    expect(seen.body).toMatchObject({ model: 'sim-claude', vendor_field: { keep: [1, 2.5, 'x'] }, temperature: 0.5 });
    expect(seen.headers['x-api-key']).toBe(CLAUDE_KEY);
  });

  it('streams thinking and text with exactly one message_stop', async () => {
    const params = { model: 'sim-claude', max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, messages: user('think first') };
    const { text, message } = await streamed(params);
    expect(message.content.map((b) => b.type)).toEqual(['thinking', 'text']);
    expect((message.content[0] as Anthropic.ThinkingBlock).signature).not.toBe('');
    expect(text).toContain('Hello from sim-claude');

    const res = await post({ ...params, stream: true });
    const events = checkAnthropicEventOrder(await res.text());
    expect(events.filter((e) => e.event === 'message_stop')).toHaveLength(1);
  });

  it('round-trips a tool call', async () => {
    const first = await client.messages.create({ model: 'sim-claude', max_tokens: 200, tools: [weatherTool], messages: user('weather?') });
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(call.input).toEqual({ city: 'sample' });
    const { message } = await streamed({
      model: 'sim-claude',
      max_tokens: 200,
      tools: [weatherTool],
      messages: [...user('weather?'), { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'rain' }] }],
    });
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('rain') });
  });

  it('fails over from an overloaded Anthropic deployment to an OpenAI one, translated', async () => {
    sim().setFault('sim-claude', { type: 'error', status: 529 });
    const { data, response } = await client.messages.create({ model: 'mixed', max_tokens: 100, messages: user('hi') }).withResponse();
    expect(response.headers.get('x-keel-deployment')).toBe('gpt');
    expect(data.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('sim-gpt') });
  });

  it('returns the provider’s own client error at once', async () => {
    sim().setFault('sim-claude', { type: 'error', status: 400, kind: 'bad_request', message: 'Unsupported parameter: foo' });
    const err = await client.messages.create({ model: 'mixed', max_tokens: 100, messages: user('hi') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('Unsupported parameter: foo');
    expect(sim().stats().byModel).toEqual({ 'sim-claude': 1 });
  });

  it('ends a cut or failing pass-through stream with an error event, never message_stop', async () => {
    sim().setFault('sim-claude-cut', { type: 'stream_cut', afterTokens: 3 });
    const { error, text } = await brokenStream({ model: 'sim-claude-cut', max_tokens: 200, messages: user('one two three four five') });
    expect(text.length).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(/interrupted/);

    sim().setFault('sim-claude-cut-raw', { type: 'in_stream_error', afterTokens: 2, kind: 'overloaded' });
    const res = await post({ model: 'sim-claude-cut-raw', max_tokens: 200, stream: true, messages: user('one two three four five') });
    const events = parseAnthropicSse(await res.text());
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { error: { type: 'overloaded_error' } } });
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);
  });
});
