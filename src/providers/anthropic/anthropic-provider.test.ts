/**
 * The Anthropic provider against the real simulator on a loopback port: translated and passed-through
 * requests, JSON and streams, tool calls, and the faults the router must tell apart. What the upstream
 * received is read back from the simulator's request log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { closeAllPools } from '../http/upstream-pool.js';
import type { AttemptResult, StreamItem } from '../types.js';
import { AnthropicProvider } from './anthropic-provider.js';
import { streamEvents, streamItems } from '../../../test/support/stream-items.js';
import { testDeployment } from '../../../test/support/test-deployment.js';

const API_KEY = 'sk-ant-test-0123456789abcdef';
// Generous: these tests must pass on a slow, busy 2-core machine.
const TIMEOUTS = { idleMs: 20_000 };

let sim: Simulator;
const provider = new AnthropicProvider();

beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0, apiKey: API_KEY, models: [{ name: 'sim-small', contextWindow: 10 }] });
});

afterAll(async () => {
  await closeAllPools();
  await sim.close();
});

beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

function deployment(model = 'sim-claude'): Deployment {
  return testDeployment({
    id: `claude-${model}`,
    provider: 'anthropic',
    model,
    baseUrl: sim.url,
    apiKey: API_KEY,
    capabilities: { tools: true, vision: true, jsonMode: false, prefill: true, streaming: true },
  });
}

function chat(text: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model: 'smart',
    system: [{ type: 'text', text: 'You are terse.' }],
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
    tools: [],
    stop: [],
    sampling: {},
    stream: false,
    streamUsage: false,
    extensions: {},
    untranslatable: [],
    ...overrides,
  };
}

async function send(request: ChatRequest, options: { model?: string; passthroughBody?: Buffer } = {}): Promise<AttemptResult> {
  return provider.send({
    deployment: deployment(options.model),
    request,
    ...(options.passthroughBody === undefined ? {} : { passthroughBody: options.passthroughBody }),
    timeouts: TIMEOUTS,
    signal: new AbortController().signal,
    requestId: 'req_test',
  });
}

const items = streamItems;

const events = streamEvents;
const streamedText = (all: StreamItem[]): string => events(all).map((e) => (e.type === 'text_delta' ? e.text : '')).join('');

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('AnthropicProvider against the simulator', () => {
  it('translates a request and decodes the JSON answer', async () => {
    const result = await send(chat('hello there'));
    expect(result.kind).toBe('json');
    if (result.kind !== 'json') return;
    expect(result.response.content).toEqual([{ type: 'text', text: 'Hello from sim-claude. You said: hello there' }]);
    expect(result.response.finishReason).toBe('stop');
    expect(result.response.usage.inputTokens).toBeGreaterThan(0);
    expect(result.raw).toBeUndefined();
    const received = sim.stats().recent[0]!;
    expect(received.path).toBe('/v1/messages');
    expect(received.headers['x-api-key']).toBe(API_KEY);
    expect(received.headers['anthropic-version']).toBe('2023-06-01');
    expect(received.body).toMatchObject({ model: 'sim-claude', system: 'You are terse.', max_tokens: 4096 });
  });

  it('streams an answer: start, text, finish, usage, then end', async () => {
    const all = await items(await send(chat('stream me please', { stream: true })));
    expect(streamedText(all)).toBe('Hello from sim-claude. You said: stream me please');
    expect(events(all)[0]).toMatchObject({ type: 'start', model: 'sim-claude' });
    expect(events(all)).toContainEqual({ type: 'finish', finishReason: 'stop' });
    expect(events(all).find((e) => e.type === 'usage')).toMatchObject({ usage: { outputTokens: expect.any(Number) as unknown } });
    expect(all.at(-1)).toEqual({ kind: 'end' });
  });

  it('round-trips a tool call, in JSON and streamed', async () => {
    const json = await send(chat('weather in Paris?', { tools: [WEATHER_TOOL] }));
    if (json.kind !== 'json') throw new Error(`expected json, got ${json.kind}`);
    const call = json.response.content.find((p) => p.type === 'tool_call');
    expect(call).toMatchObject({ type: 'tool_call', name: 'get_weather', id: expect.stringMatching(/^toolu_/) as unknown });
    expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ city: 'sample' });
    expect(json.response.finishReason).toBe('tool_calls');

    const all = await items(await send(chat('weather in Paris?', { tools: [WEATHER_TOOL], stream: true })));
    const start = events(all).find((e) => e.type === 'tool_call_start');
    expect(start).toMatchObject({ name: 'get_weather' });
    const args = events(all).map((e) => (e.type === 'tool_call_delta' ? e.argumentsDelta : '')).join('');
    expect(JSON.parse(args)).toEqual({ city: 'sample' });
    expect(events(all)).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });

    // The next turn: the tool result goes back as a tool_result block and the model reads it.
    const next = await send(chat('weather in Paris?', {
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
        { role: 'assistant', content: [call!] },
        { role: 'tool', toolCallId: (call as { id: string }).id, content: [{ type: 'text', text: 'sunny, 21C' }] },
      ],
    }));
    if (next.kind !== 'json') throw new Error(`expected json, got ${next.kind}`);
    expect(next.response.content).toEqual([{ type: 'text', text: 'Tool get_weather returned: sunny, 21C' }]);
  });

  it('passes an Anthropic body through untouched, and forwards the stream verbatim, pings included', async () => {
    const clientBody = {
      model: 'sim-claude',
      max_tokens: 3000,
      stream: true,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'cache me', cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
      some_future_field: { keep: true },
    };
    const all = await items(await send(chat('ignored', { stream: true }), { passthroughBody: Buffer.from(JSON.stringify(clientBody)) }));
    expect(sim.stats().recent[0]!.body).toEqual(clientBody);
    const raw = all.map((i) => (i.kind === 'data' ? i.raw ?? '' : '')).join('');
    expect(raw).toMatch(/^event: message_start\ndata: \{/);
    expect(raw).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    expect(raw).toContain('"type":"signature_delta"');
    expect(raw).toContain('event: message_delta\n');
    expect(events(all).some((e) => e.type === 'thinking_delta')).toBe(true);
    expect(events(all).some((e) => e.type === 'thinking_signature')).toBe(true);
    expect(all.at(-1)).toEqual({ kind: 'end' });
  });

  it('returns the provider bytes of a passed-through JSON answer', async () => {
    const clientBody = { model: 'sim-claude', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
    const result = await send(chat('ignored'), { passthroughBody: Buffer.from(JSON.stringify(clientBody)) });
    if (result.kind !== 'json') throw new Error(`expected json, got ${result.kind}`);
    expect(JSON.parse(result.raw!.toString('utf8'))).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'Hello from sim-claude. You said: hi' }] });
    expect(sim.stats().recent[0]!.body).toEqual(clientBody);
  });

  it('refuses an untranslatable request without calling the provider', async () => {
    const result = await send(chat('json please', { responseFormat: { type: 'json_object' } }));
    expect(result).toEqual({
      kind: 'failure',
      failure: { outcome: 'bad_request', status: 400, message: 'response_format json_object is not supported by Anthropic deployment claude-sim-claude' },
    });
    expect(sim.stats().total).toBe(0);
  });

  describe('faults', () => {
    it('529 overloaded', async () => {
      sim.setFault('sim-claude', { type: 'error', status: 529 });
      const result = await send(chat('hi'));
      expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'overloaded', status: 529, providerType: 'overloaded_error' } });
    });

    it('429 with retry-after', async () => {
      sim.setFault('sim-claude', { type: 'error', status: 429, retryAfterS: 3 });
      const result = await send(chat('hi', { stream: true }));
      expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'rate_limited', status: 429, retryAfterMs: 3000, providerType: 'rate_limit_error' } });
    });

    it('context window exceeded', async () => {
      const result = await send(chat('a prompt far longer than this tiny model can take in one go'), { model: 'sim-small' });
      expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'context_length', status: 400 } });
    });

    it('a reset connection is a connect_error', async () => {
      sim.setFault('sim-claude', { type: 'reset' });
      const result = await send(chat('hi'));
      expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'connect_error' } });
    });

    it('a stream cut mid-answer is a stream_cut', async () => {
      sim.setFault('sim-claude', { type: 'stream_cut', afterTokens: 3 });
      const all = await items(await send(chat('one two three four five six seven', { stream: true })));
      expect(streamedText(all).length).toBeGreaterThan(0);
      expect(all.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
    });

    it('an in-stream error event is a classified failure', async () => {
      sim.setFault('sim-claude', { type: 'in_stream_error', afterTokens: 2 });
      const all = await items(await send(chat('one two three four five six', { stream: true })));
      expect(all.at(-1)).toEqual({ kind: 'failure', failure: { outcome: 'overloaded', message: 'Overloaded', providerType: 'overloaded_error' } });
    });

    it('a malformed event is dropped and the answer still completes', async () => {
      sim.setFault('sim-claude', { type: 'malformed_chunk', afterTokens: 2 });
      const all = await items(await send(chat('one two three four', { stream: true })));
      expect(streamedText(all)).toBe('Hello from sim-claude. You said: one two three four');
      expect(all.map((i) => (i.kind === 'data' ? i.raw ?? '' : '')).join('')).not.toContain('"delta": {\n');
      expect(all.at(-1)).toEqual({ kind: 'end' });
    });

    it('a missing message_stop on an open connection still ends the stream at the stop reason', async () => {
      sim.setFault('sim-claude', { type: 'missing_done', keepOpen: true });
      const all = await items(await send(chat('hello', { stream: true })));
      expect(all.at(-1)).toEqual({ kind: 'end' });
    });
  });
});
