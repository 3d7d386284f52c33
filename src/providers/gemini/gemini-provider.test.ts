/**
 * The Gemini provider against the real simulator on a loopback port: JSON and streams, tool calls, and
 * the faults the router must tell apart. What the upstream received is read back from the simulator's
 * request log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';
import { startSimulator, type Simulator } from '../../simulator/index.js';
import { closeAllPools } from '../http/upstream-pool.js';
import type { AttemptResult, StreamItem } from '../types.js';
import { GeminiProvider } from './gemini-provider.js';
import { streamEvents, streamItems } from '../../../test/support/stream-items.js';
import { testDeployment } from '../../../test/support/test-deployment.js';

const API_KEY = 'AIzaSy-test-0123456789abcdef';
// Generous: these tests must pass on a slow, busy 2-core machine.
const TIMEOUTS = { idleMs: 20_000 };

let sim: Simulator;
const provider = new GeminiProvider();

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

function deployment(model = 'sim-gemini'): Deployment {
  return testDeployment({ id: `gemini-${model}`, provider: 'gemini', model, baseUrl: sim.url, apiKey: API_KEY });
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

async function send(request: ChatRequest, model?: string): Promise<AttemptResult> {
  return provider.send({ deployment: deployment(model), request, timeouts: TIMEOUTS, signal: new AbortController().signal, requestId: 'req_test' });
}

const items = streamItems;

const events = streamEvents;
const streamedText = (all: StreamItem[]): string => events(all).map((e) => (e.type === 'text_delta' ? e.text : '')).join('');

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('GeminiProvider against the simulator', () => {
  it('translates a request and decodes the JSON answer; the key goes in a header, never the URL', async () => {
    const result = await send(chat('hello there'));
    if (result.kind !== 'json') throw new Error(`expected json, got ${JSON.stringify(result)}`);
    expect(result.response.content).toEqual([{ type: 'text', text: 'Hello from sim-gemini. You said: hello there' }]);
    expect(result.response.finishReason).toBe('stop');
    expect(result.response.usage.inputTokens).toBeGreaterThan(0);
    const received = sim.stats().recent[0]!;
    expect(received.path).toBe('/v1beta/models/sim-gemini:generateContent');
    expect(received.headers['x-goog-api-key']).toBe(API_KEY);
    expect(received.body).toMatchObject({ systemInstruction: { parts: [{ text: 'You are terse.' }] }, contents: [{ role: 'user', parts: [{ text: 'hello there' }] }] });
  });

  it('streams an answer over alt=sse: start, text, finish, usage, then end', async () => {
    const all = await items(await send(chat('stream me please', { stream: true })));
    expect(streamedText(all)).toBe('Hello from sim-gemini. You said: stream me please');
    expect(events(all)[0]).toMatchObject({ type: 'start', model: 'sim-gemini' });
    expect(events(all)).toContainEqual({ type: 'finish', finishReason: 'stop' });
    expect(events(all).find((e) => e.type === 'usage')).toMatchObject({ usage: { outputTokens: expect.any(Number) as unknown } });
    expect(all.at(-1)).toEqual({ kind: 'end' });
    const received = sim.stats().recent[0]!;
    expect(received.path).toBe('/v1beta/models/sim-gemini:streamGenerateContent');
    expect(received.stream).toBe(true);
  });

  it('round-trips a tool call, in JSON and streamed', async () => {
    const json = await send(chat('weather in Paris?', { tools: [WEATHER_TOOL] }));
    if (json.kind !== 'json') throw new Error(`expected json, got ${JSON.stringify(json)}`);
    const call = json.response.content[0]!;
    expect(call).toMatchObject({ type: 'tool_call', name: 'get_weather', arguments: '{"city":"sample"}' });
    expect(json.response.finishReason).toBe('tool_calls');
    expect(sim.stats().recent[0]!.body).toMatchObject({
      tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } }] }],
    });

    const all = await items(await send(chat('weather in Paris?', { tools: [WEATHER_TOOL], stream: true })));
    expect(events(all).find((e) => e.type === 'tool_call_start')).toMatchObject({ name: 'get_weather' });
    expect(events(all).filter((e) => e.type === 'tool_call_delta')).toEqual([{ type: 'tool_call_delta', index: 0, argumentsDelta: '{"city":"sample"}' }]);
    expect(events(all)).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
    expect(all.at(-1)).toEqual({ kind: 'end' });

    // The next turn: the result is named after the call it answers, and the model reads it.
    const next = await send(chat('weather in Paris?', {
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
        { role: 'assistant', content: [call] },
        { role: 'tool', toolCallId: (call as { id: string }).id, content: [{ type: 'text', text: 'sunny' }] },
      ],
    }));
    if (next.kind !== 'json') throw new Error(`expected json, got ${JSON.stringify(next)}`);
    expect(next.response.content).toEqual([{ type: 'text', text: 'Tool get_weather returned: {"output":"sunny"}' }]);
  });

  it('refuses an image URL without calling the provider', async () => {
    const result = await send(chat('x', { messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/a.png' } }] }] }));
    expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'bad_request', status: 400 } });
    expect(sim.stats().total).toBe(0);
  });

  describe('faults', () => {
    it('503 UNAVAILABLE is overloaded', async () => {
      sim.setFault('sim-gemini', { type: 'error', status: 503 });
      expect(await send(chat('hi'))).toMatchObject({ kind: 'failure', failure: { outcome: 'overloaded', status: 503, providerType: 'UNAVAILABLE' } });
    });

    it('429 RESOURCE_EXHAUSTED with a retry delay', async () => {
      sim.setFault('sim-gemini', { type: 'error', status: 429, retryAfterS: 3 });
      expect(await send(chat('hi', { stream: true }))).toMatchObject({
        kind: 'failure',
        failure: { outcome: 'rate_limited', status: 429, retryAfterMs: 3000, providerType: 'RESOURCE_EXHAUSTED' },
      });
    });

    it('context window exceeded', async () => {
      const result = await send(chat('a prompt far longer than this tiny model can take in one go'), 'sim-small');
      expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'context_length', status: 400 } });
    });

    it('a reset connection is a connect_error', async () => {
      sim.setFault('sim-gemini', { type: 'reset' });
      expect(await send(chat('hi'))).toMatchObject({ kind: 'failure', failure: { outcome: 'connect_error' } });
    });

    it('a stream cut mid-answer is a stream_cut', async () => {
      sim.setFault('sim-gemini', { type: 'stream_cut', afterTokens: 3 });
      const all = await items(await send(chat('one two three four five six seven', { stream: true })));
      expect(streamedText(all).length).toBeGreaterThan(0);
      expect(all.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
    });

    it('a stream that ends without a finish reason is a stream_cut', async () => {
      sim.setFault('sim-gemini', { type: 'missing_done' });
      const all = await items(await send(chat('one two three', { stream: true })));
      expect(streamedText(all)).toBe('Hello from sim-gemini. You said: one two three');
      expect(all.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
    });

    it('an in-stream error chunk is a classified failure', async () => {
      sim.setFault('sim-gemini', { type: 'in_stream_error', afterTokens: 2 });
      const all = await items(await send(chat('one two three four five six', { stream: true })));
      expect(all.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'overloaded', providerType: 'UNAVAILABLE' } });
    });

    it('a malformed chunk is dropped and the answer still completes', async () => {
      sim.setFault('sim-gemini', { type: 'malformed_chunk', afterTokens: 2 });
      const all = await items(await send(chat('one two three four', { stream: true })));
      expect(streamedText(all)).toBe('Hello from sim-gemini. You said: one two three four');
      expect(all.at(-1)).toEqual({ kind: 'end' });
    });

    it('a SAFETY block is a content_filter failure, in JSON and streamed', async () => {
      sim.setFault('sim-gemini', { type: 'error', status: 400, kind: 'content_filter', times: 2 });
      expect(await send(chat('something bad'))).toMatchObject({ kind: 'failure', failure: { outcome: 'content_filter', status: 400, providerType: 'SAFETY' } });
      const all = await items(await send(chat('something bad', { stream: true })));
      expect(all).toEqual([{ kind: 'failure', failure: expect.objectContaining({ outcome: 'content_filter', providerType: 'SAFETY' }) as unknown }]);
    });
  });
});
