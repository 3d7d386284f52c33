import { ApiError, FinishReason, FunctionCallingConfigMode, GoogleGenAI, Type } from '@google/genai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';

let sim: Simulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  sim = await startSimulator({ models: [{ name: 'gem-tiny', contextWindow: 2 }] });
  ai = new GoogleGenAI({ apiKey: 'gem-key', httpOptions: { baseUrl: sim.url } });
});
afterAll(() => sim.close());

const declarations = [
  {
    name: 'find_flight',
    parameters: {
      type: Type.OBJECT,
      properties: { from: { type: Type.STRING }, seats: { type: Type.INTEGER }, cabin: { type: Type.STRING, enum: ['eco', 'biz'] } },
      required: ['from', 'cabin'],
    },
  },
  { name: 'book', parameters: { type: Type.OBJECT, properties: { ok: { type: Type.BOOLEAN } } } },
];

describe('Gemini generateContent (official SDK via httpOptions.baseUrl)', () => {
  it('answers JSON with candidates, usage and model version', async () => {
    const response = await ai.models.generateContent({
      model: 'gemini-sim', contents: 'hello gemini', config: { systemInstruction: 'short' },
    });
    expect(response.text).toBe('Hello from gemini-sim. You said: hello gemini');
    expect(response.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
    expect(response.candidates?.[0]?.content?.role).toBe('model');
    expect(response.usageMetadata?.promptTokenCount).toBe(Math.ceil('shorthello gemini'.length / 4));
    expect(response.usageMetadata?.candidatesTokenCount).toBe(7);
    expect(response.usageMetadata?.totalTokenCount).toBe(response.usageMetadata!.promptTokenCount! + 7);
    expect(response.modelVersion).toBe('gemini-sim');
    expect(response.responseId).toBeTruthy();
  });

  it('streams alt=sse chunks whose text joins to the reply; the last carries finishReason and usage', async () => {
    const stream = await ai.models.generateContentStream({ model: 'gemini-sim', contents: 'stream it' });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.text ?? '').join('')).toBe('Hello from gemini-sim. You said: stream it');
    const last = chunks.at(-1);
    expect(last?.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
    expect(last?.usageMetadata?.candidatesTokenCount).toBe(7);
    expect(chunks.slice(0, -1).every((c) => c.candidates?.[0]?.finishReason === undefined)).toBe(true);
  });

  it('sends the key as x-goog-api-key and streams with alt=sse', async () => {
    sim.resetStats();
    await ai.models.generateContentStream({ model: 'gemini-sim', contents: 'x' }).then(async (s) => {
      for await (const _ of s) void _;
    });
    const record = sim.stats().recent[0];
    expect(record?.headers['x-goog-api-key']).toBe('gem-key');
    expect(record?.path).toBe('/v1beta/models/gemini-sim:streamGenerateContent');
    expect(record?.stream).toBe(true);
  });

  it('answers function calls whole, forced by toolConfig, in parallel when asked', async () => {
    const response = await ai.models.generateContent({
      model: 'gemini-sim', contents: 'fly me', config: { tools: [{ functionDeclarations: declarations }] },
    });
    expect(response.functionCalls).toEqual([{ name: 'find_flight', args: { from: 'sample', cabin: 'eco' } }]);

    const parallel = await ai.models.generateContentStream({
      model: 'gemini-sim', contents: 'do both in parallel', config: { tools: [{ functionDeclarations: declarations }] },
    });
    const calls = [];
    for await (const chunk of parallel) calls.push(...(chunk.functionCalls ?? []));
    expect(calls.map((c) => c.name)).toEqual(['find_flight', 'book']);

    const forced = await ai.models.generateContent({
      model: 'gemini-sim', contents: 'x',
      config: {
        tools: [{ functionDeclarations: declarations }],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['book'] } },
      },
    });
    expect(forced.functionCalls).toEqual([{ name: 'book', args: { ok: true } }]);
  });

  it('answers a functionResponse with text naming the function', async () => {
    const response = await ai.models.generateContent({
      model: 'gemini-sim',
      contents: [
        { role: 'user', parts: [{ text: 'fly me' }] },
        { role: 'model', parts: [{ functionCall: { name: 'find_flight', args: { from: 'x' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'find_flight', response: { flight: 'KL123' } } }] },
      ],
      config: { tools: [{ functionDeclarations: declarations }] },
    });
    expect(response.text).toBe('Tool find_flight returned: {"flight":"KL123"}');
  });

  it('truncates at maxOutputTokens, stops at stop sequences, sees inline images, honours JSON mime type', async () => {
    const truncated = await ai.models.generateContent({ model: 'gemini-sim', contents: 'x', config: { maxOutputTokens: 2 } });
    expect(truncated.text).toBe('Hello from');
    expect(truncated.candidates?.[0]?.finishReason).toBe(FinishReason.MAX_TOKENS);

    const stopped = await ai.models.generateContent({ model: 'gemini-sim', contents: 'x', config: { stopSequences: ['.'] } });
    expect(stopped.text).toBe('Hello from gemini-sim');
    expect(stopped.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);

    const vision = await ai.models.generateContent({
      model: 'gemini-sim',
      contents: [{ role: 'user', parts: [{ inlineData: { mimeType: 'image/jpeg', data: 'AAAA' } }, { text: 'what' }] }],
    });
    expect(vision.text).toBe('I see 1 image(s). Hello from gemini-sim. You said: what');

    const json = await ai.models.generateContent({
      model: 'gemini-sim', contents: 'hi', config: { responseMimeType: 'application/json' },
    });
    expect(JSON.parse(json.text ?? '')).toEqual({ reply: 'Hello from gemini-sim. You said: hi' });
  });

  it('returns INVALID_ARGUMENT past the context window', async () => {
    const error = await ai.models.generateContent({ model: 'gem-tiny', contents: 'z'.repeat(40) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain('The input token count (10) exceeds the maximum number of tokens allowed (2).');
    expect((error as ApiError).message).toContain('INVALID_ARGUMENT');
  });

  it('answers streamGenerateContent without alt=sse as one JSON array', async () => {
    const res = await fetch(`${sim.url}/v1beta/models/gemini-sim:streamGenerateContent?key=k`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'arr' }] }] }),
    });
    const body = (await res.json()) as { candidates: { finishReason?: string }[] }[];
    expect(Array.isArray(body)).toBe(true);
    expect(body.at(-1)?.candidates[0]?.finishReason).toBe('STOP');
  });
});
