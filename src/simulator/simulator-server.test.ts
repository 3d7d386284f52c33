import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, SseFieldError } from './sse-writer.js';
import { startSimulator } from './simulator-server.js';
import type { Simulator, SimulatorOptions } from './types.js';

let sim: Simulator | undefined;
async function start(opts: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator(opts);
  return sim;
}
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function post(s: Simulator, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(s.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const chat = (model: string): unknown => ({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('stats', () => {
  it('counts every attempt by model and format, faults included, and keeps the request', async () => {
    const s = await start();
    s.setFault('bad', { type: 'error', status: 500 });
    await (await post(s, '/v1/chat/completions', chat('good'), { authorization: 'Bearer sk-1' })).text();
    await (await post(s, '/v1/chat/completions', chat('bad'))).text();
    await (await post(s, '/v1/messages', { model: 'good', max_tokens: 5, messages: [] }, { 'anthropic-version': '2023-06-01' })).text();
    await (await post(s, '/v1beta/models/gem:generateContent', { contents: [{ parts: [{ text: 'x' }] }] })).text();
    const stats = s.stats();
    expect(stats.total).toBe(4);
    expect(stats.byModel).toEqual({ good: 2, bad: 1, gem: 1 });
    expect(stats.byFormat).toEqual({ openai: 2, anthropic: 1, gemini: 1 });
    expect(stats.faultsApplied).toEqual({ error: 1 });
    expect(stats.active).toBe(0);
    const first = stats.recent[0];
    expect(first).toMatchObject({ format: 'openai', model: 'good', path: '/v1/chat/completions', stream: false, body: chat('good') });
    expect(first?.headers['authorization']).toBe('Bearer sk-1');
    expect(first?.fault).toBeUndefined();
    expect(stats.recent[1]?.fault).toBe('error');
    s.resetStats();
    expect(s.stats()).toMatchObject({ total: 0, byModel: {}, recent: [] });
  });

  it('keeps only the last 200 requests', async () => {
    const s = await start();
    for (let i = 0; i < 205; i += 1) await (await post(s, '/v1/chat/completions', chat(`m${i}`))).text();
    const stats = s.stats();
    expect(stats.total).toBe(205);
    expect(stats.recent).toHaveLength(200);
    expect(stats.recent[0]?.model).toBe('m5');
  });
});

describe('control API', () => {
  it('sets and clears faults, reports stats and health, resets', async () => {
    const s = await start();
    expect(await (await fetch(`${s.url}/_sim/health`)).json()).toEqual({ status: 'ok' });
    const set = await post(s, '/_sim/faults', { model: 'm1', fault: { type: 'error', status: 503 } });
    expect(set.status).toBe(200);
    expect((await post(s, '/v1/chat/completions', chat('m1'))).status).toBe(503);
    expect((await (await fetch(`${s.url}/_sim/faults`)).json())).toEqual({ faults: { m1: { type: 'error', status: 503 } } });

    await post(s, '/_sim/faults', { model: 'm1', fault: null });
    expect((await post(s, '/v1/chat/completions', chat('m1'))).status).toBe(200);

    await post(s, '/_sim/faults', { model: '*', fault: { type: 'error', status: 500 } });
    await fetch(`${s.url}/_sim/faults`, { method: 'DELETE' });
    expect((await post(s, '/v1/chat/completions', chat('m1'))).status).toBe(200);

    const stats = (await (await fetch(`${s.url}/_sim/stats`)).json()) as { total: number; byFormat: { openai: number } };
    expect(stats.total).toBe(3);
    expect(stats.byFormat.openai).toBe(3);

    await post(s, '/_sim/faults', { model: 'm1', fault: { type: 'reset' } });
    expect((await post(s, '/_sim/reset', {})).status).toBe(200);
    expect(s.stats().total).toBe(0);
    expect((await post(s, '/v1/chat/completions', chat('m1'))).status).toBe(200);
  });

  it('rejects invalid faults with a reason', async () => {
    const s = await start();
    const res = await post(s, '/_sim/faults', { model: 'm1', fault: { type: 'stream_cut' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('afterTokens');
    expect((await post(s, '/_sim/faults', 'not json')).status).toBe(400);
    expect((await post(s, '/_sim/faults', { fault: null })).status).toBe(400);
    expect(() => s.setFault('m1', { type: 'reset', rate: 2 })).toThrow('fault.rate');
  });
});

describe('routing and protocol errors', () => {
  it('answers unknown paths with 404 JSON', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/v2/whatever`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { message: 'Invalid URL (GET /v2/whatever)' } });
  });

  it('answers invalid JSON with a 400 in each format', async () => {
    const s = await start();
    const openai = await post(s, '/v1/chat/completions', '{nope');
    expect(openai.status).toBe(400);
    expect(await openai.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const anthropic = await post(s, '/v1/messages', '{nope', { 'anthropic-version': '2023-06-01' });
    expect(anthropic.status).toBe(400);
    expect(await anthropic.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const gemini = await post(s, '/v1beta/models/g:generateContent', '{nope');
    expect(gemini.status).toBe(400);
    expect(await gemini.json()).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });

  it('requires the API key where each provider carries it', async () => {
    const s = await start({ apiKey: 'secret' });
    expect((await post(s, '/v1/chat/completions', chat('m'))).status).toBe(401);
    expect(await (await post(s, '/v1/chat/completions', chat('m'), { authorization: 'Bearer wrong' })).json())
      .toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await post(s, '/v1/chat/completions', chat('m'), { authorization: 'Bearer secret' })).status).toBe(200);
    const anthropicBody = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] };
    const denied = await post(s, '/v1/messages', anthropicBody, { 'anthropic-version': '2023-06-01' });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect((await post(s, '/v1/messages', anthropicBody, { 'anthropic-version': '2023-06-01', 'x-api-key': 'secret' })).status).toBe(200);
    const geminiBody = { contents: [{ parts: [{ text: 'x' }] }] };
    expect(await (await post(s, '/v1beta/models/g:generateContent', geminiBody)).json())
      .toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect((await post(s, '/v1beta/models/g:generateContent', geminiBody, { 'x-goog-api-key': 'secret' })).status).toBe(200);
    expect((await post(s, '/v1beta/models/g:generateContent?key=secret', geminiBody)).status).toBe(200);
    expect(s.stats().total).toBe(8);
  });

  it('lists models in each format', async () => {
    const s = await start({ models: [{ name: 'a' }, { name: 'b' }] });
    expect(await (await fetch(`${s.url}/v1/models`)).json()).toMatchObject({ object: 'list', data: [{ id: 'a' }, { id: 'b' }] });
    expect(await (await fetch(`${s.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } })).json())
      .toMatchObject({ data: [{ type: 'model', id: 'a' }, { type: 'model', id: 'b' }], has_more: false });
    expect(await (await fetch(`${s.url}/v1beta/models`)).json()).toMatchObject({ models: [{ name: 'models/a' }, { name: 'models/b' }] });
  });

  it('applies per-model reply and latency', async () => {
    const s = await start({ models: [{ name: 'slow', latencyMs: 200, reply: 'Fixed.' }] });
    const started = Date.now();
    const body = (await (await post(s, '/v1/chat/completions', chat('slow'))).json()) as { choices: { message: { content: string } }[] };
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(body.choices[0]?.message.content).toBe('Fixed.');
  });
});

describe('lifecycle', () => {
  it('refuses connections after stopListening and serves again after resumeListening', async () => {
    const s = await start();
    expect((await post(s, '/v1/chat/completions', chat('m'))).status).toBe(200);
    await s.stopListening();
    const error = await post(s, '/v1/chat/completions', chat('m')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(((error as TypeError).cause as { code?: string }).code).toBe('ECONNREFUSED');
    await s.resumeListening();
    expect((await post(s, '/v1/chat/completions', chat('m'))).status).toBe(200);
    expect(new URL(s.url).port).toBe(String(s.port));
  });

  it('destroys hanging sockets on stopListening and close, so nothing waits', async () => {
    const s = await start();
    s.setFault('*', { type: 'hang' });
    const hanging = post(s, '/v1/chat/completions', chat('m')).catch((e: unknown) => e);
    await waitForActive(s, 1);
    await s.stopListening();
    expect(await hanging).toBeInstanceOf(TypeError);
    await s.resumeListening();
    const second = post(s, '/v1/chat/completions', chat('m')).catch((e: unknown) => e);
    await waitForActive(s, 1);
    await s.close();
    expect(await second).toBeInstanceOf(TypeError);
    sim = undefined;
  });

  it('keeps connections alive between requests', async () => {
    const s = await start();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (): Promise<{ reused: boolean; status: number }> =>
      new Promise((resolve, reject) => {
        const req = request(`${s.url}/v1/chat/completions`, { method: 'POST', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ reused: req.reusedSocket, status: res.statusCode ?? 0 }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }));
      });
    try {
      expect(await send()).toEqual({ reused: false, status: 200 });
      expect(await send()).toEqual({ reused: true, status: 200 });
    } finally {
      agent.destroy();
    }
  });
});

describe('sse writer', () => {
  it('refuses CR or LF in event names and splits multi-line data', () => {
    expect(() => encodeFrame({ event: 'a\nb', data: {} })).toThrow(SseFieldError);
    expect(encodeFrame({ event: 'x', data: 'l1\nl2' })).toBe('event: x\ndata: l1\ndata: l2\n\n');
  });
});

async function waitForActive(s: Simulator, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (s.stats().active !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} active requests`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
