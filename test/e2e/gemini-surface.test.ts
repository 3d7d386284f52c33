/**
 * End to end, Gemini's native API with the official `@google/genai` SDK pointed at Keel
 * (`httpOptions.baseUrl`): `generateContent`, `generateContentStream` and `countTokens`, text and a
 * function-call round trip, answered by an Anthropic-format deployment and by a Gemini one, failover
 * from a failing Gemini primary to an Anthropic fallback, and errors in Google's shape; and an Anthropic
 * client answered by Gemini gets the real prompt count from the start of its stream.
 */
import { ApiError, GoogleGenAI, type Content } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningKeel } from '../../src/server/start-keel.js';
import { resetSimulatedKeel, startSimulatedKeel } from '../support/simulated-keel.js';

const PROMPT = 'what is the weather in Paris today';
const TARGETS = [
  { provider: 'anthropic', model: 'sim-anthropic', wire: 'anthropic' },
  { provider: 'gemini', model: 'sim-gemini', wire: 'gemini' },
] as const;
const tools = [{ functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }];

let keel: RunningKeel;
let ai: GoogleGenAI;

beforeAll(async () => {
  keel = await startSimulatedKeel({
    deployments: [
      ...TARGETS.map((t) => ({ id: t.provider, provider: t.provider, model: t.model })),
      { id: 'gemini-primary', provider: 'gemini', model: 'sim-flaky' },
      { id: 'gpt', provider: 'openai', model: 'sim-gpt' },
    ],
    routes: {
      mixed: { deployments: ['gemini-primary', 'anthropic'], retry: { max_attempts_per_deployment: 1 } },
      'gpt-only': { deployments: ['gpt'] },
    },
  });
  ai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: keel.url } });
});

afterAll(async () => {
  await keel?.stop();
});

beforeEach(() => resetSimulatedKeel(keel));

const upstream = () => keel.simulator!.stats().recent.map((r) => [r.format, r.model]);

describe.each(TARGETS)('@google/genai → $provider deployment ($model)', (t) => {
  it('generateContent: text and usage', async () => {
    const response = await ai.models.generateContent({ model: t.model, contents: PROMPT, config: { systemInstruction: 'Be brief.' } });
    expect(response.text).toBe(`Hello from ${t.model}. You said: ${PROMPT}`);
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(response.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
    expect(upstream()).toEqual([[t.wire, t.model]]);
  });

  it('generateContentStream: the chunks add up to the answer, usage last', async () => {
    let text = '';
    let usage: number | undefined;
    for await (const chunk of await ai.models.generateContentStream({ model: t.model, contents: PROMPT })) {
      text += chunk.text ?? '';
      usage = chunk.usageMetadata?.candidatesTokenCount ?? usage;
    }
    expect(text).toBe(`Hello from ${t.model}. You said: ${PROMPT}`);
    expect(usage).toBeGreaterThan(0);
  });

  it('a function call round trip', async () => {
    const first = await ai.models.generateContent({ model: t.model, contents: PROMPT, config: { tools } });
    expect(first.functionCalls?.map((c) => [c.name, c.args])).toEqual([['get_weather', { city: 'sample' }]]);
    const history: Content[] = [
      { role: 'user', parts: [{ text: PROMPT }] },
      first.candidates![0]!.content!,
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: '18C and sunny' } } }] },
    ];
    const second = await ai.models.generateContent({ model: t.model, contents: history, config: { tools } });
    expect(second.text).toMatch(/^Tool get_weather returned: .*18C and sunny/);
  });

  it('countTokens is answered by the deployment itself', async () => {
    const counted = await ai.models.countTokens({ model: t.model, contents: PROMPT });
    expect(counted.totalTokens).toBeGreaterThan(0);
    expect(keel.simulator!.stats().recent.at(-1)!.path).toMatch(t.wire === 'gemini' ? /:countTokens$/ : /\/v1\/messages\/count_tokens$/);
  });
});

describe('pass-through to a Gemini deployment', () => {
  it('forwards the body as the client wrote it, Google-only settings included; other providers refuse them by name', async () => {
    const config = { tools: [{ googleSearch: {} }], safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT' as never, threshold: 'BLOCK_NONE' as never }] };
    const response = await ai.models.generateContent({ model: 'sim-gemini', contents: PROMPT, config });
    expect(response.text).toBe(`Hello from sim-gemini. You said: ${PROMPT}`);
    const sent = keel.simulator!.stats().recent.at(-1)!.body as Record<string, unknown>;
    expect(sent['model']).toBeUndefined();
    expect(sent).toMatchObject({ tools: [{ googleSearch: {} }], safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] });
    const refused = await ai.models.generateContent({ model: 'sim-anthropic', contents: PROMPT, config }).catch((e: unknown) => e);
    expect((refused as ApiError).status).toBe(400);
    expect((refused as ApiError).message).toMatch(/googleSearch/);
  });
});

describe('an Anthropic client answered by Gemini', () => {
  // LangChain's ChatAnthropic reads input tokens from message_start: Gemini counts the prompt in its first
  // chunk, so the count is real there, not 0, and the closing message_delta agrees with it.
  it('gets the real input token count in message_start', async () => {
    const res = await fetch(`${keel.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'sim-gemini', max_tokens: 50, stream: true, messages: [{ role: 'user', content: PROMPT }] }),
    });
    const frames = (await res.text()).split('\n\n').filter((f) => f.includes('data: ')).map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)) as Record<string, any>);
    const start = frames.find((f) => f['type'] === 'message_start')!;
    const delta = frames.find((f) => f['type'] === 'message_delta')!;
    expect(start['message'].usage.input_tokens).toBeGreaterThan(0);
    expect(delta['usage'].input_tokens).toBe(start['message'].usage.input_tokens);
  });
});

describe('failover and errors', () => {
  it('a failing Gemini primary fails over to an Anthropic fallback, streams included', async () => {
    keel.simulator!.setFault('sim-flaky', { type: 'error', status: 503, kind: 'unavailable' });
    const response = await ai.models.generateContent({ model: 'mixed', contents: PROMPT });
    expect(response.text).toBe(`Hello from sim-anthropic. You said: ${PROMPT}`);
    let text = '';
    for await (const chunk of await ai.models.generateContentStream({ model: 'mixed', contents: PROMPT })) text += chunk.text ?? '';
    expect(text).toBe(`Hello from sim-anthropic. You said: ${PROMPT}`);
    expect(upstream().map(([format]) => format)).toEqual(['gemini', 'anthropic', 'gemini', 'anthropic']);
  });

  it('errors come in Google\'s shape: an unknown model, bad input, a route that cannot count tokens', async () => {
    const unknown = await ai.models.generateContent({ model: 'no-such-model', contents: PROMPT }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ApiError);
    expect((unknown as ApiError).status).toBe(404);
    expect((unknown as ApiError).message).toMatch(/NOT_FOUND/);
    const bad = await fetch(`${keel.url}/v1beta/models/sim-gemini:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contents: [] }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('contents') } });
    const noCount = await ai.models.countTokens({ model: 'gpt-only', contents: PROMPT }).catch((e: unknown) => e);
    expect((noCount as ApiError).status).toBe(400);
  });
});
