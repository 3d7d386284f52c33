/**
 * End to end, the format matrix: {official `openai` SDK, official `@anthropic-ai/sdk`} × {anthropic,
 * openai, gemini, openai-compatible deployments} × {JSON, streaming} × {plain text, tool-call round trip},
 * with the SDKs' own parsers as the judge and the simulator's request log as the witness of what the
 * upstream received. Streamed answers are also read raw and checked event by event against the client
 * format's rules, and provider errors must reach each client in its own format with the original reason.
 */
import Anthropic, { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import OpenAI, { APIError as OpenAIAPIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';
import { checkAnthropicStream, checkOpenAIStream } from '../support/stream-rules.js';

type Sdk = 'openai' | 'anthropic';
type Mode = 'json' | 'stream';
type Kind = 'text' | 'tool';
type SdkError = OpenAIAPIError | AnthropicAPIError;

const TOOL_RESULT = '18C and sunny';
const GEMINI_TOOL_ECHO = JSON.stringify({ output: TOOL_RESULT });
const OVERLOADED = /overloaded/i;
const PROVIDERS = [
  { id: 'anthropic', provider: 'anthropic', model: 'sim-anthropic', wire: 'anthropic', toolEcho: TOOL_RESULT, overloaded: OVERLOADED, extra: {} },
  { id: 'openai', provider: 'openai', model: 'sim-openai', wire: 'openai', toolEcho: TOOL_RESULT, overloaded: OVERLOADED, extra: {} },
  // Keel sends a tool result to Gemini as `functionResponse.response: {output}`; the simulator echoes that JSON.
  { id: 'gemini', provider: 'gemini', model: 'sim-gemini', wire: 'gemini', toolEcho: GEMINI_TOOL_ECHO, overloaded: OVERLOADED, extra: {} },
  { id: 'openai-compatible', provider: 'openai-compatible', model: 'sim-compat', wire: 'openai', toolEcho: TOOL_RESULT, overloaded: OVERLOADED, extra: {} },
  // The same formats served by clouds: SigV4 and event streams, OAuth2 and rawPredict, Azure's URLs and key.
  { id: 'bedrock', provider: 'bedrock', model: 'anthropic.sim-claude-v1:0', wire: 'anthropic', toolEcho: TOOL_RESULT, overloaded: /unable to process/i, extra: { region: 'us-west-2' } },
  { id: 'vertex-claude', provider: 'vertex', model: 'claude-sim@20250929', wire: 'anthropic', toolEcho: TOOL_RESULT, overloaded: OVERLOADED, extra: { region: 'us-east5', project: 'keel-sim' } },
  { id: 'vertex-gemini', provider: 'vertex', model: 'gemini-sim-vertex', wire: 'gemini', toolEcho: GEMINI_TOOL_ECHO, overloaded: OVERLOADED, extra: { region: 'global', project: 'keel-sim' } },
  { id: 'azure-openai', provider: 'azure-openai', model: 'gpt-sim-deployment', wire: 'openai', toolEcho: TOOL_RESULT, overloaded: OVERLOADED, extra: {} },
] as const;
type Provider = (typeof PROVIDERS)[number];

const SDKS: Sdk[] = ['openai', 'anthropic'];
const MODES: Mode[] = ['json', 'stream'];
const CASES: [Mode, Kind][] = MODES.flatMap((mode) => (['text', 'tool'] as const).map((kind): [Mode, Kind] => [mode, kind]));
const STOPS: Record<Sdk, Record<Kind, string>> = {
  openai: { text: 'stop', tool: 'tool_calls' },
  anthropic: { text: 'end_turn', tool: 'tool_use' },
};
/** The `error.type` values of Anthropic's error format. */
const ANTHROPIC_ERROR_TYPES = [
  'invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'request_too_large',
  'rate_limit_error', 'api_error', 'overloaded_error', 'timeout_error', 'billing_error',
];

const PROMPT = 'what is the weather in Paris today';
const WEATHER_SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const openaiTools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: WEATHER_SCHEMA } },
];
const anthropicTools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Current weather', input_schema: WEATHER_SCHEMA as Anthropic.Tool.InputSchema }];

let keel: RunningKeel;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      simulator: { token_delay_ms: 0, models: [] },
      // Exact attempt counts: no random local shedding by the adaptive throttle.
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: PROVIDERS.map((p) => ({ id: p.id, provider: p.provider, model: p.model, simulated: true, ...p.extra })),
    },
  });
  openai = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: keel.url, apiKey: 'client-key', maxRetries: 0 });
});

afterAll(async () => {
  await keel?.stop();
});

beforeEach(() => {
  keel.simulator!.clearFaults();
  keel.simulator!.resetStats();
  // A failure case must not leave a breaker or throttle behind that refuses the next case.
  keel.gateway.router.resetPolicies();
});

const sim = () => keel.simulator!;

/** One assistant turn as the client saw it, and how to continue the conversation with a tool result. */
interface Turn {
  text: string;
  /** Content in order: 'text' (non-empty for OpenAI, any text block for Anthropic) and 'tool' per call. */
  blocks: string[];
  calls: { id: string; name: string; args: unknown }[];
  stop: string | null;
  inputTokens: number;
  outputTokens: number;
  reply(result: string): Promise<Turn>;
}

async function openaiTurn(model: string, mode: Mode, messages: OpenAI.ChatCompletionMessageParam[], tools: boolean): Promise<Turn> {
  const params = { model, messages, ...(tools ? { tools: openaiTools } : {}) };
  let completion: OpenAI.ChatCompletion;
  let usage: OpenAI.CompletionUsage | undefined;
  if (mode === 'json') {
    completion = await openai.chat.completions.create(params);
    usage = completion.usage;
  } else {
    const stream = openai.chat.completions.stream({ ...params, stream_options: { include_usage: true } });
    let deltas = '';
    for await (const chunk of stream) {
      deltas += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    completion = await stream.finalChatCompletion(); // throws on a missing role, finish_reason or tool-call field
    expect(deltas).toBe(completion.choices[0]!.message.content ?? '');
  }
  expect(completion.choices).toHaveLength(1);
  const { message, finish_reason: stop } = completion.choices[0]!;
  const calls = (message.tool_calls ?? []).map((call) => {
    if (call.type !== 'function') throw new Error(`unexpected tool call type ${call.type}`);
    return { id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) as unknown };
  });
  const assistant: OpenAI.ChatCompletionAssistantMessageParam = {
    role: 'assistant',
    content: message.content,
    ...(calls.length > 0 ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.args) } })) } : {}),
  };
  return {
    text: message.content ?? '',
    blocks: [...(message.content ? ['text'] : []), ...calls.map(() => 'tool')],
    calls,
    stop,
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
    reply: (result) =>
      openaiTurn(model, mode, [...messages, assistant, ...calls.map((c) => ({ role: 'tool' as const, tool_call_id: c.id, content: result }))], tools),
  };
}

async function anthropicTurn(model: string, mode: Mode, messages: Anthropic.MessageParam[], tools: boolean): Promise<Turn> {
  const params = { model, max_tokens: 256, messages, ...(tools ? { tools: anthropicTools } : {}) };
  let message: Anthropic.Message;
  if (mode === 'json') {
    message = await anthropic.messages.create(params);
  } else {
    const stream = anthropic.messages.stream(params); // finalMessage() rejects events out of order
    let deltas = '';
    stream.on('text', (delta) => {
      deltas += delta;
    });
    message = await stream.finalMessage();
    expect(deltas).toBe(textOf(message));
  }
  expect(message).toMatchObject({ type: 'message', role: 'assistant', model: expect.any(String) });
  const calls = message.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, args: b.input }] : []));
  return {
    text: textOf(message),
    blocks: message.content.map((b) => (b.type === 'tool_use' ? 'tool' : b.type)),
    calls,
    stop: message.stop_reason,
    inputTokens: message.usage.input_tokens,
    outputTokens: message.usage.output_tokens,
    reply: (result) =>
      anthropicTurn(model, mode, [
        ...messages,
        { role: 'assistant', content: message.content },
        { role: 'user', content: calls.map((c) => ({ type: 'tool_result' as const, tool_use_id: c.id, content: result })) },
      ], tools),
  };
}

function textOf(message: Anthropic.Message): string {
  return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

function ask(sdk: Sdk, model: string, mode: Mode, kind: Kind): Promise<Turn> {
  return sdk === 'openai'
    ? openaiTurn(model, mode, [{ role: 'user', content: PROMPT }], kind === 'tool')
    : anthropicTurn(model, mode, [{ role: 'user', content: PROMPT }], kind === 'tool');
}

function expectUsage(turn: Turn): void {
  expect(turn.inputTokens).toBeGreaterThan(0);
  expect(turn.outputTokens).toBeGreaterThan(0);
}

/**
 * The upstream saw `count` requests, all in the deployment's wire format for its model, the last as
 * described. A JSON answer from another format is asked for as a stream and assembled by Keel (so silence
 * shows at first-token time); only a same-format JSON request goes upstream as JSON, byte for byte.
 */
function expectUpstream(p: Provider, count: number, stream: boolean): void {
  const { recent, total } = sim().stats();
  expect(total).toBe(count);
  for (const record of recent) expect({ format: record.format, model: record.model }).toEqual({ format: p.wire, model: p.model });
  expect(recent.at(-1)!.stream).toBe(stream);
}

function sameFormat(sdk: Sdk, p: Provider): boolean {
  return p.wire === sdk;
}

describe.each(SDKS)('%s SDK', (sdk) => {
  describe.each(PROVIDERS)('→ $id deployment ($model)', (p) => {
    it.each(CASES)('%s, %s', async (mode, kind) => {
      const first = await ask(sdk, p.model, mode, kind);
      expectUsage(first);
      if (kind === 'text') {
        expect(first.text).toBe(`Hello from ${p.model}. You said: ${PROMPT}`);
        expect(first.blocks).toEqual(['text']);
        expect(first.stop).toBe(STOPS[sdk].text);
        expectUpstream(p, 1, mode === 'stream' || !sameFormat(sdk, p));
        return;
      }
      expect(first.calls).toEqual([{ id: expect.any(String), name: 'get_weather', args: { city: 'sample' } }]);
      expect(first.calls[0]!.id).not.toBe('');
      expect(first.blocks).toEqual(['tool']);
      expect(first.stop).toBe(STOPS[sdk].tool);

      const second = await first.reply(TOOL_RESULT);
      expect(second.text).toBe(`Tool get_weather returned: ${p.toolEcho}`);
      expect(second.blocks).toEqual(['text']);
      expect(second.calls).toEqual([]);
      expect(second.stop).toBe(STOPS[sdk].text);
      expectUsage(second);
      expectUpstream(p, 2, mode === 'stream' || !sameFormat(sdk, p));
    });
  });
});

async function rawStream(sdk: Sdk, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${keel.url}/v1/${sdk === 'openai' ? 'chat/completions' : 'messages'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return text;
}

describe.each(PROVIDERS)('raw SSE rules, $id deployment ($model)', (p) => {
  const openaiCases: [Kind, boolean][] = [['text', true], ['text', false], ['tool', true], ['tool', false]];
  it.each(openaiCases)('OpenAI surface, %s, include_usage %s', async (kind, includeUsage) => {
    const text = await rawStream('openai', {
      model: p.model,
      messages: [{ role: 'user', content: PROMPT }],
      ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
      ...(kind === 'tool' ? { tools: openaiTools } : {}),
    });
    const stream = checkOpenAIStream(text, { includeUsage });
    if (includeUsage) expect(stream.usage?.completion_tokens).toBeGreaterThan(0);
    if (kind === 'text') {
      expect(stream.text).toBe(`Hello from ${p.model}. You said: ${PROMPT}`);
      expect(stream.toolCalls).toEqual([]);
      expect(stream.finishReason).toBe('stop');
    } else {
      expect(stream.text).toBe('');
      expect(stream.toolCalls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['get_weather', { city: 'sample' }]]);
      expect(stream.finishReason).toBe('tool_calls');
    }
    expectUpstream(p, 1, true);
  });

  it.each(['text', 'tool'] as const)('Anthropic surface, %s', async (kind) => {
    const text = await rawStream('anthropic', {
      model: p.model,
      max_tokens: 256,
      messages: [{ role: 'user', content: PROMPT }],
      ...(kind === 'tool' ? { tools: anthropicTools } : {}),
    });
    const stream = checkAnthropicStream(text);
    expect(stream.outputTokens).toBeGreaterThan(0);
    if (kind === 'text') {
      expect(stream.blocks).toEqual([{ type: 'text', text: `Hello from ${p.model}. You said: ${PROMPT}`, json: '' }]);
      expect(stream.stopReason).toBe('end_turn');
    } else {
      expect(stream.blocks.map((b) => [b.type, b.name, JSON.parse(b.json)])).toEqual([['tool_use', 'get_weather', { city: 'sample' }]]);
      expect(stream.stopReason).toBe('tool_use');
    }
    expectUpstream(p, 1, true);
  });
});

/** Sends one request through the SDK and returns what it threw (or fails when it did not throw). */
async function sdkFailure(sdk: Sdk, model: string, mode: Mode): Promise<SdkError> {
  const run = async (): Promise<unknown> => {
    if (sdk === 'openai') {
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: PROMPT }];
      if (mode === 'json') return openai.chat.completions.create({ model, messages });
      for await (const _chunk of await openai.chat.completions.create({ model, messages, stream: true }));
      return undefined;
    }
    const params = { model, max_tokens: 256, messages: [{ role: 'user' as const, content: PROMPT }] };
    return mode === 'json' ? anthropic.messages.create(params) : anthropic.messages.stream(params).finalMessage();
  };
  const outcome = await run().then(
    (answer) => ({ answer }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected the ${sdk} SDK to throw, got ${JSON.stringify(outcome.answer)}`);
  expect(outcome.error).toBeInstanceOf(sdk === 'openai' ? OpenAIAPIError : AnthropicAPIError);
  return outcome.error as SdkError;
}

/** The error body's inner `{type, message}`: OpenAI SDKs keep `body.error`, Anthropic SDKs the whole body. */
function innerError(sdk: Sdk, err: SdkError): { type: string; message: string } {
  if (sdk === 'openai') return err.error as { type: string; message: string };
  const body = err.error as { type: string; error: { type: string; message: string } };
  expect(body.type).toBe('error');
  return body.error;
}

const REASON = 'the original reason 123';
const badRequest = { type: 'error', status: 400, kind: 'bad_request', message: REASON } as const;

describe.each(PROVIDERS)('errors from the $id deployment ($model)', (p) => {
  const sdkModes = SDKS.flatMap((sdk) => MODES.map((mode): [Sdk, Mode] => [sdk, mode]));

  it.each(sdkModes)('%s SDK, %s: a provider 400 is its BadRequestError with the original reason', async (sdk, mode) => {
    sim().setFault(p.model, badRequest);
    const err = await sdkFailure(sdk, p.model, mode);
    expect(err).toBeInstanceOf(sdk === 'openai' ? OpenAI.BadRequestError : Anthropic.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.message).toContain(REASON);
    expect(innerError(sdk, err).message).toContain(REASON);
    expect(sim().stats().total).toBe(1); // a client error is returned at once, never retried
  });

  // Anthropic's error format has a closed set of `error.type` values (ANTHROPIC_ERROR_TYPES): a provider
  // of another format (Gemini's INVALID_ARGUMENT) must not leak its own vocabulary into it.
  it('Anthropic SDK: the provider 400 carries an Anthropic error type', async () => {
    sim().setFault(p.model, badRequest);
    const err = await sdkFailure('anthropic', p.model, 'json');
    expect(ANTHROPIC_ERROR_TYPES).toContain(innerError('anthropic', err).type);
  });

  it.each(SDKS)('%s SDK: the only deployment overloaded is its 5xx error with a parsed body', async (sdk) => {
    sim().setFault(p.model, { type: 'error', status: 503, kind: 'overloaded' });
    const err = await sdkFailure(sdk, p.model, 'json');
    expect(err).toBeInstanceOf(sdk === 'openai' ? OpenAI.InternalServerError : Anthropic.InternalServerError);
    expect(err.status).toBe(503);
    const inner = innerError(sdk, err) as { type: string; message: string; attempts: { deployment: string; outcome: string }[] };
    expect(inner.message).toMatch(p.overloaded);
    expect(inner.attempts.length).toBeGreaterThan(0);
    for (const attempt of inner.attempts) expect(attempt).toMatchObject({ deployment: p.id, outcome: 'overloaded' });
    expect(sim().stats().total).toBe(inner.attempts.length);
    if (sdk === 'anthropic') expect(inner.type).toBe('overloaded_error');
  });
});

describe('a Gemini content filter (a 200 SAFETY block upstream)', () => {
  it.each(SDKS.flatMap((sdk) => MODES.map((mode): [Sdk, Mode] => [sdk, mode])))('%s SDK, %s: a 400 content-filter error naming the reason', async (sdk, mode) => {
    sim().setFault('sim-gemini', { type: 'error', status: 400, kind: 'content_filter' });
    const err = await sdkFailure(sdk, 'sim-gemini', mode);
    expect(err).toBeInstanceOf(sdk === 'openai' ? OpenAI.BadRequestError : Anthropic.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/SAFETY/);
    if (sdk === 'openai') expect((err as OpenAIAPIError).code).toBe('content_filter');
    expect(sim().stats().total).toBe(1);
  });

  // Not Gemini's finish reason (`SAFETY`) as the type: an Anthropic error type.
  it('Anthropic SDK: the content-filter error carries an Anthropic error type', async () => {
    sim().setFault('sim-gemini', { type: 'error', status: 400, kind: 'content_filter' });
    const err = await sdkFailure('anthropic', 'sim-gemini', 'json');
    expect(ANTHROPIC_ERROR_TYPES).toContain(innerError('anthropic', err).type);
  });
});
