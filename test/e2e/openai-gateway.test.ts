/**
 * End to end: a real Keel server in front of the real simulator, driven by the official `openai` SDK and
 * by raw fetch for what the SDK would refuse to send. Attempt counts are read from the simulator, so each
 * test asserts what the upstream actually received.
 */
import OpenAI from 'openai';
import { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RequestRecord } from '../../src/router/router-types.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

const PRIMARY_KEY = 'sk-keel-test-PRIMARY-0123456789abcdef';

let keel: RunningKeel;
let client: OpenAI;
const logLines: string[] = [];

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(logLines),
    config: {
      simulator: { token_delay_ms: 0, models: [{ name: 'sim-primary', context_window: 1000 }] },
      // Exact attempt counts: no random local shedding by the adaptive throttle.
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true, api_key: PRIMARY_KEY, capabilities: { context_window: 1000 } },
        { id: 'fallback', provider: 'openai-compatible', model: 'sim-fallback', simulated: true, capabilities: { context_window: 100_000 } },
      ],
      routes: { smart: { deployments: ['primary', 'fallback'], retry: { backoff_base_ms: 5, backoff_cap_ms: 20 } } },
    },
  });
  client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
});

afterAll(async () => {
  await keel.stop();
  // Nothing Keel logged during the whole suite may carry the provider key.
  expect(logLines.length).toBeGreaterThan(10);
  expect(logLines.filter((line) => line.includes(PRIMARY_KEY))).toEqual([]);
});

beforeEach(() => {
  keel.simulator!.clearFaults();
  keel.simulator!.resetStats();
});

const sim = () => keel.simulator!;
const user = (content: string) => [{ role: 'user' as const, content }];

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${keel.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('OpenAI surface, happy paths', () => {
  it('answers a chat completion through the primary and names who answered', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages: user('hello there') }).withResponse();
    expect(data.choices[0]!.message.content).toBe('Hello from sim-primary. You said: hello there');
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-keel-deployment')).toBe('primary');
    expect(response.headers.get('x-keel-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1 });
  });

  it('streams with usage at the end, and the deltas join to the full answer', async () => {
    const stream = await client.chat.completions.create({ model: 'smart', messages: user('stream me please'), stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello from sim-primary. You said: stream me please');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('round-trips a tool call, streamed and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    ];
    const first = await client.chat.completions.create({ model: 'smart', messages: user('weather in Paris?'), tools });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'sample' });

    const stream = await client.chat.completions.create({ model: 'smart', messages: user('weather in Paris?'), tools, stream: true });
    let args = '';
    let name = '';
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += tc.function?.name ?? '';
        args += tc.function?.arguments ?? '';
      }
    }
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ city: 'sample' });

    const second = await client.chat.completions.create({
      model: 'smart',
      tools,
      messages: [...user('weather in Paris?'), first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '18C and sunny' }],
    });
    expect(second.choices[0]!.message.content).toContain('18C and sunny');
  });

  it('serves an openai-compatible deployment asked for by its model name', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'sim-fallback', messages: user('hi') }).withResponse();
    expect(data.choices[0]!.message.content).toContain('sim-fallback');
    expect(response.headers.get('x-keel-provider')).toBe('openai-compatible');
  });

  it('passes the body through untouched except for the model, unknown fields included', async () => {
    const res = await post({ model: 'smart', messages: user('hi'), custom_vendor_field: { keep: [1, 2.50, 'x'] }, temperature: 0.5 });
    expect(res.status).toBe(200);
    const seen = sim().stats().recent.at(-1)!;
    expect(seen.model).toBe('sim-primary');
    expect(seen.body).toMatchObject({ model: 'sim-primary', custom_vendor_field: { keep: [1, 2.5, 'x'] }, temperature: 0.5 });
    expect(seen.headers['authorization']).toBe(`Bearer ${PRIMARY_KEY}`);
  });

  it('sends a JSON answer whole, with its length and every header of the trail', async () => {
    const res = await post({ model: 'smart', messages: user('measure me') });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBeNull();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toMatchObject({ object: 'chat.completion' });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-keel-route')).toBe('smart');
    expect(res.headers.get('x-keel-provider')).toBe('openai');
  });

  it('writes a JSON answer before its request is recorded, so the client does not wait for the bookkeeping', async () => {
    const order: string[] = [];
    const end = ServerResponse.prototype.end;
    const spy = vi.spyOn(ServerResponse.prototype, 'end').mockImplementation(function (this: ServerResponse, ...args: unknown[]) {
      // Keel's answers only (the simulator behind it is another server in this process).
      if (this.req.socket.localPort === Number(new URL(keel.url).port)) order.push(`written ${this.statusCode}`);
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    });
    const onRequest = (record: RequestRecord): void => {
      order.push(`recorded ${record.outcome}`);
    };
    keel.gateway.router.events.on('request', onRequest);
    try {
      const res = await post({ model: 'smart', messages: user('record me after') });
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      spy.mockRestore();
      keel.gateway.router.events.off('request', onRequest);
    }
    expect(order).toEqual(['written 200', 'recorded ok']);
  });

  it('lets a stream go when its head cannot be written, so its request still ends and is recorded', async () => {
    const writeHead = ServerResponse.prototype.writeHead;
    const spy = vi.spyOn(ServerResponse.prototype, 'writeHead').mockImplementation(function (this: ServerResponse, ...args: unknown[]) {
      const headers = args[1] as Record<string, string> | undefined;
      if (this.req.socket.localPort === Number(new URL(keel.url).port) && headers?.['content-type']?.startsWith('text/event-stream') === true) throw new TypeError('Invalid character in header content');
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    });
    const records: RequestRecord[] = [];
    const onRequest = (record: RequestRecord): void => void records.push(record);
    keel.gateway.router.events.on('request', onRequest);
    try {
      await expect(post({ model: 'smart', stream: true, messages: user('no head') }).then((res) => res.text())).rejects.toThrow();
      // The stream was closed unread: its dispatch ended (slot and deadline released) and was recorded.
      await vi.waitFor(() => expect(records).toHaveLength(1));
    } finally {
      spy.mockRestore();
      keel.gateway.router.events.off('request', onRequest);
    }
    const res = await post({ model: 'smart', messages: user('after') });
    expect(res.status).toBe(200);
  });

  it('echoes a client request id and lists the model groups', async () => {
    const res = await post({ model: 'smart', messages: user('hi') }, { 'x-request-id': 'client-id-42' });
    expect(res.headers.get('x-request-id')).toBe('client-id-42');
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['smart', 'sim-primary', 'sim-fallback']));
  });
});

describe('OpenAI surface, failover', () => {
  it('fails over to the fallback when the primary stays overloaded after one retry', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 503 });
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages: user('hi') }).withResponse();
    expect(data.choices[0]!.message.content).toContain('sim-fallback');
    expect(data.model).toBe('sim-fallback');
    expect(response.headers.get('x-keel-deployment')).toBe('fallback');
    expect(response.headers.get('x-keel-fallbacks')).toBe('1');
    expect(response.headers.get('x-keel-attempts')).toBe('3');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 2, 'sim-fallback': 1 });
  });

  it('fails a stream over invisibly when the primary resets before answering', async () => {
    sim().setFault('sim-primary', { type: 'reset' });
    const stream = await client.chat.completions.create({ model: 'smart', messages: user('hi'), stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain('Hello from sim-fallback');
  });

  it('never reports a cut stream as a success', async () => {
    sim().setFault('sim-primary', { type: 'stream_cut', afterTokens: 3 });
    const stream = await client.chat.completions.create({ model: 'sim-primary', messages: user('one two three four five'), stream: true });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/interrupted/);
    expect(text.length).toBeGreaterThan(0);
  });

  it('survives a malformed chunk and finalises a stream missing [DONE]', async () => {
    sim().setFault('sim-primary', { type: 'malformed_chunk', afterTokens: 2 });
    let text = '';
    for await (const chunk of await client.chat.completions.create({ model: 'sim-primary', messages: user('a b c'), stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from sim-primary. You said: a b c');

    sim().setFault('sim-primary', { type: 'missing_done', keepOpen: true });
    text = '';
    for await (const chunk of await client.chat.completions.create({ model: 'sim-primary', messages: user('a b c'), stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from sim-primary. You said: a b c');
  });

  it('returns a provider client error at once, without failing over', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 400, kind: 'bad_request', message: 'Unsupported parameter: foo' });
    const res = await post({ model: 'smart', messages: user('hi') });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.message).toContain('Unsupported parameter: foo');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1 });
  });

  it('sends a context-length failure only to a larger-context deployment', async () => {
    const long = 'word '.repeat(2000);
    const { data } = await client.chat.completions.create({ model: 'smart', messages: user(long) }).withResponse();
    expect(data.model).toBe('sim-fallback');
    expect(sim().stats().byModel).toEqual({ 'sim-primary': 1, 'sim-fallback': 1 });
  });

  it('answers 503 with the attempts and Retry-After when every deployment fails', async () => {
    // A Retry-After longer than Keel's longest wait (10 s) fails over at once instead of waiting.
    sim().setFault('*', { type: 'error', status: 429, retryAfterS: 30 });
    const res = await post({ model: 'smart', messages: user('hi') });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    const body = (await res.json()) as { error: { attempts: { deployment: string; outcome: string }[] } };
    expect(body.error.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
      ['primary', 'rate_limited'],
      ['fallback', 'rate_limited'],
    ]);
  });
});

describe('a client that leaves', () => {
  it('cancels the upstream stream at once, and its attempts say nothing of the provider', async () => {
    // The answer stalls after its first token for a minute: only the client leaving can end it early.
    sim().setFault('*', { type: 'stream_stall', afterTokens: 1, ms: 60_000 });
    const attempts: { deployment: string; outcome: string; cancelled?: boolean }[] = [];
    const onAttempt = (a: { deployment: string; outcome: string; cancelled?: boolean }): void => void attempts.push(a);
    keel.gateway.router.events.on('attempt', onAttempt);
    const leaving = new AbortController();
    const waitFor = async (done: () => boolean): Promise<void> => {
      const until = Date.now() + 10_000; // far inside the stall: only a cancellation ends the upstream call this soon
      while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    };
    try {
      const res = await fetch(`${keel.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart', messages: user('hello'), stream: true }),
        signal: leaving.signal,
      });
      const first = new TextDecoder().decode((await res.body!.getReader().read()).value);
      expect(first).toContain('data: {');
      expect(sim().stats().active).toBeGreaterThan(0);
      leaving.abort();
      await waitFor(() => sim().stats().active === 0);
      expect(sim().stats().active).toBe(0);
      await waitFor(() => attempts.length > 0);
      expect(attempts.length).toBeGreaterThan(0);
      for (const attempt of attempts) expect(attempt).toMatchObject({ cancelled: true });
    } finally {
      leaving.abort();
      keel.gateway.router.events.off('attempt', onAttempt);
    }
  });
});

describe('metrics', () => {
  it('serves Prometheus metrics counting what happened, with no key in them', async () => {
    await post({ model: 'smart', messages: user('count me') });
    const res = await fetch(`${keel.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/keel_requests_total\{route="smart",outcome="ok",client_format="openai",stream="false"\} \d+/);
    expect(text).not.toContain(PRIMARY_KEY);
  });
});

describe('secrets', () => {
  it('redacts the provider key when an upstream error echoes it', async () => {
    sim().setFault('sim-primary', { type: 'error', status: 401, kind: 'auth', message: `Incorrect API key provided: ${PRIMARY_KEY}.` });
    const res = await post({ model: 'sim-primary', messages: user('hi') });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain(PRIMARY_KEY);
    expect(text).toContain('[REDACTED]');
    expect(JSON.stringify([...res.headers])).not.toContain(PRIMARY_KEY);
  });
});

describe('OpenAI surface, bad input', () => {
  const cases: [string, number, RegExp, () => Promise<Response>][] = [
    ['invalid JSON', 400, /not valid JSON/, () => post('{"model": "smart", "messages": [')],
    ['a JSON array', 400, /must be a JSON object/, () => post('[1,2]')],
    ['missing messages', 400, /Missing required parameter: 'messages'/, () => post({ model: 'smart' })],
    ['wrong type', 400, /messages\[0\]\.content.*expected string or array/, () => post({ model: 'smart', messages: [{ role: 'user', content: 5 }] })],
    ['bad role', 400, /messages\[0\]\.role/, () => post({ model: 'smart', messages: [{ role: 'robot', content: 'x' }] })],
    ['bad temperature', 400, /'temperature'/, () => post({ model: 'smart', messages: user('x'), temperature: 'hot' })],
    ['unknown model', 404, /'nope' does not exist.*smart/, () => post({ model: 'nope', messages: user('x') })],
    ['wrong content type', 415, /application\/json/, () => fetch(`${keel.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })],
    ['wrong method', 405, /use POST/, () => fetch(`${keel.url}/v1/chat/completions`)],
    ['unknown path', 404, /Unknown path/, () => fetch(`${keel.url}/v1/nothing`)],
    ['oversized body', 413, /larger than the limit/, () => post({ model: 'smart', messages: user('x'.repeat(11 * 1024 * 1024)) })],
  ];

  it.each(cases)('%s → a clean %i in OpenAI error shape', async (_name, status, message, send) => {
    const res = await send();
    expect(res.status).toBe(status);
    const text = await res.text();
    // A whole answer goes with its length, not chunked.
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    const body = JSON.parse(text) as { error: { message: string; type: string; param: unknown; code: unknown } };
    expect(body.error.message).toMatch(message);
    expect(typeof body.error.type).toBe('string');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(sim().stats().total).toBe(0);
  });

  it('is still serving after all of that', async () => {
    const data = await client.chat.completions.create({ model: 'smart', messages: user('still there?') });
    expect(data.choices[0]!.message.content).toContain('still there?');
  });

  it('the SDK surfaces a validation error with its status and param', async () => {
    const err = await client.chat.completions.create({ model: 'smart', messages: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages');
  });
});
