import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator } from './types.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});
afterAll(() => sim.close());

const LONG_TEXT = 'one two three four five six seven eight';

function openaiStream(model = 'm1', signal?: AbortSignal): Promise<Response> {
  return fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: LONG_TEXT }] }),
    ...(signal === undefined ? {} : { signal }),
  });
}

function anthropicStream(model = 'm1'): Promise<Response> {
  return fetch(`${sim.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 100, stream: true, messages: [{ role: 'user', content: LONG_TEXT }] }),
  });
}

/** Reads a body to its end, its failure, or the client's patience, keeping what arrived. */
async function drain(res: Response, timeoutMs?: number): Promise<{ text: string; ended: 'done' | 'error' | 'timeout' }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let timedOut = false;
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    void reader.cancel();
  }, timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text, ended: timedOut ? 'timeout' : 'done' };
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return { text, ended: 'error' };
  } finally {
    clearTimeout(timer);
  }
}

function contentChunks(sse: string): string[] {
  return [...sse.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1] ?? '');
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('connection faults', () => {
  it('reset destroys the connection before any headers', async () => {
    sim.setFault('m1', { type: 'reset' });
    await expect(openaiStream()).rejects.toThrow(TypeError);
    const client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    sim.setFault('m1', { type: 'reset' });
    await expect(client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }))
      .rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(sim.stats().faultsApplied).toEqual({ reset: 2 });
  });

  it('hang never answers: the client times out, the request is counted, and nothing stays in flight', async () => {
    sim.setFault('m1', { type: 'hang' });
    const client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0, timeout: 300 });
    await expect(client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }))
      .rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(sim.stats().recent[0]?.fault).toBe('hang');
    await waitFor(() => sim.stats().active === 0);
  });

  it('latency delays the answer, which then succeeds', async () => {
    sim.setFault('m1', { type: 'latency', ms: 250 });
    const started = Date.now();
    const res = await openaiStream();
    const { text } = await drain(res);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(text).toContain('data: [DONE]');
  });

  it('slow_first_token sends headers at once and the first token later', async () => {
    sim.setFault('m1', { type: 'slow_first_token', ms: 600 });
    const started = Date.now();
    const res = await openaiStream();
    const headersAt = Date.now() - started;
    const reader = res.body!.getReader();
    await reader.read();
    const firstTokenAt = Date.now() - started;
    await reader.cancel();
    expect(firstTokenAt).toBeGreaterThanOrEqual(500);
    expect(firstTokenAt - headersAt).toBeGreaterThanOrEqual(250);
  });
});

describe('stream faults', () => {
  it('stream_cut sends N tokens then drops the socket: no finish, no [DONE]', async () => {
    sim.setFault('m1', { type: 'stream_cut', afterTokens: 2 });
    const res = await openaiStream();
    expect(res.status).toBe(200);
    const { text, ended } = await drain(res);
    expect(ended).toBe('error');
    expect(contentChunks(text)).toEqual(['Hello', ' from']);
    expect(text).not.toContain('finish_reason":"stop');
    expect(text).not.toContain('[DONE]');
  });

  it('stream_cut makes the Anthropic SDK stream fail', async () => {
    sim.setFault('m1', { type: 'stream_cut', afterTokens: 1 });
    const client = new Anthropic({ apiKey: 'k', baseURL: sim.url, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'm1', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] });
    await expect(stream.finalMessage()).rejects.toThrow();
  });

  it('stream_cut on a JSON answer sends half the body', async () => {
    sim.setFault('m1', { type: 'stream_cut', afterTokens: 0 });
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST', body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
    await expect(res.json()).rejects.toThrow();
  });

  it('stream_stall goes silent after N tokens until the client gives up', async () => {
    sim.setFault('m1', { type: 'stream_stall', afterTokens: 3 });
    const { text, ended } = await drain(await openaiStream(), 400);
    expect(ended).toBe('timeout');
    expect(contentChunks(text)).toEqual(['Hello', ' from', ' m1.']);
    await waitFor(() => sim.stats().active === 0);
  });

  it('stream_stall with ms resumes and completes', async () => {
    sim.setFault('m1', { type: 'stream_stall', afterTokens: 2, ms: 250 });
    const started = Date.now();
    const { text, ended } = await drain(await openaiStream());
    expect(ended).toBe('done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(contentChunks(text).join('')).toBe(`Hello from m1. You said: ${LONG_TEXT}`);
    expect(text).toContain('data: [DONE]');
  });

  it('malformed_chunk injects one broken data line then continues', async () => {
    sim.setFault('m1', { type: 'malformed_chunk', afterTokens: 2 });
    const { text } = await drain(await openaiStream());
    const events = text.split('\n\n');
    expect(events[2]).toBe('data: {"choices": [');
    expect(text).toContain('data: [DONE]');
    const client = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    sim.setFault('m1', { type: 'malformed_chunk', afterTokens: 1 });
    const consume = async (): Promise<void> => {
      const stream = await client.chat.completions.create({ model: 'm1', stream: true, messages: [{ role: 'user', content: 'x' }] });
      for await (const chunk of stream) void chunk;
    };
    await expect(consume()).rejects.toThrow(SyntaxError);
  });

  it('missing_done omits [DONE] / message_stop and ends the response', async () => {
    sim.setFault('*', { type: 'missing_done' });
    const openai = await drain(await openaiStream());
    expect(openai.ended).toBe('done');
    expect(openai.text).toContain('"finish_reason":"stop"');
    expect(openai.text).not.toContain('[DONE]');
    const anthropic = await drain(await anthropicStream());
    expect(anthropic.ended).toBe('done');
    expect(anthropic.text).toContain('event: message_delta');
    expect(anthropic.text).not.toContain('message_stop');
  });

  it('missing_done with keepOpen leaves the response open', async () => {
    sim.setFault('m1', { type: 'missing_done', keepOpen: true });
    const { text, ended } = await drain(await openaiStream(), 400);
    expect(ended).toBe('timeout');
    expect(text).toContain('"finish_reason":"stop"');
    expect(text).not.toContain('[DONE]');
    await waitFor(() => sim.stats().active === 0);
  });

  it('in_stream_error sends N tokens then the provider error event (Anthropic)', async () => {
    sim.setFault('m1', { type: 'in_stream_error', afterTokens: 2 });
    const { text } = await drain(await anthropicStream());
    expect(text.trimEnd().endsWith(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    )).toBe(true);
    expect(text.match(/text_delta/g)).toHaveLength(2);

    sim.setFault('m1', { type: 'in_stream_error', afterTokens: 1 });
    const client = new Anthropic({ apiKey: 'k', baseURL: sim.url, maxRetries: 0 });
    const error = await client.messages.stream({ model: 'm1', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] })
      .finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });

  it('in_stream_error reaches the OpenAI and Gemini SDKs as API errors', async () => {
    sim.setFault('*', { type: 'in_stream_error', afterTokens: 1, kind: 'server_error' });
    const openai = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    const consumeOpenAI = async (): Promise<void> => {
      const stream = await openai.chat.completions.create({ model: 'm1', stream: true, messages: [{ role: 'user', content: 'x' }] });
      for await (const chunk of stream) void chunk;
    };
    await expect(consumeOpenAI()).rejects.toBeInstanceOf(OpenAI.APIError);

    const gemini = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sim.url } });
    const consumeGemini = async (): Promise<void> => {
      for await (const chunk of await gemini.models.generateContentStream({ model: 'g1', contents: 'x' })) void chunk;
    };
    await expect(consumeGemini()).rejects.toThrow(/INTERNAL/);
  });

  it('in_stream_error on a JSON request answers the error status', async () => {
    sim.setFault('m1', { type: 'in_stream_error', afterTokens: 1 });
    const res = await fetch(`${sim.url}/v1/messages`, {
      method: 'POST', headers: { 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm1', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(529);
    expect(await res.json()).toMatchObject({ error: { type: 'overloaded_error' } });
  });
});

describe('client disconnects', () => {
  it('stops the work of a paced stream when the client goes away', async () => {
    const paced = await startSimulator({ tokenDelayMs: 50 });
    try {
      const controller = new AbortController();
      const res = await fetch(`${paced.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm1', stream: true, messages: [{ role: 'user', content: 'w '.repeat(200) }] }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      expect(paced.stats().active).toBe(1);
      controller.abort();
      await waitFor(() => paced.stats().active === 0);
    } finally {
      await paced.close();
    }
  });
});
