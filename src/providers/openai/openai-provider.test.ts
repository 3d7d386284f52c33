/**
 * The OpenAI provider against a real HTTP server on a loopback port that answers exactly what each test
 * scripts: translated and passed-through requests, JSON answers and streams, the error statuses the
 * router must tell apart, and the ways a stream can end badly (an in-stream error, no `[DONE]`, a cut).
 * What the upstream received is read back from the server's log.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { streamEvents as events, streamItems as items, streamedText } from '../../../test/support/stream-items.js';
import { testDeployment } from '../../../test/support/test-deployment.js';
import type { Deployment } from '../../config/resolve-config.js';
import { chatRequest, type ChatRequest } from '../../core/chat-request.js';
import { closeAllPools } from '../http/upstream-pool.js';
import type { AttemptResult, StreamItem } from '../types.js';
import { OpenAIProvider } from './openai-provider.js';

const API_KEY = 'sk-test-0123456789abcdefghij';
// Generous: these tests must pass on a slow, busy 2-core machine; no test waits for a timeout to fire.
const TIMEOUTS = { idleMs: 20_000 };

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
type Script = (res: ServerResponse, received: Received) => void;

let server: Server;
let baseUrl: string;
let script: Script;
let received: Received[] = [];
const provider = new OpenAIProvider();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const got = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(got);
      script(res, got);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await closeAllPools();
  server.closeAllConnections();
  server.close();
});

beforeEach(() => {
  received = [];
  script = () => {
    throw new Error('no script for this test');
  };
});

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

function json(status: number, body: unknown, headers: Record<string, string> = {}): Script {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

/** Answers with SSE frames; `end: false` leaves the response open, as a provider that forgets to close would. */
function sse(frames: string[], options: { end?: boolean } = {}): Script {
  return (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const frame of frames) res.write(frame);
    if (options.end !== false) res.end();
  };
}

const frame = (data: unknown): string => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const chunk = (delta: Record<string, unknown>, finish_reason: string | null = null) =>
  frame({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1758612345, model: 'gpt-4.1-2025-04-14', choices: [{ index: 0, delta, logprobs: null, finish_reason }] });
const usageChunk = frame({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1758612345, model: 'gpt-4.1-2025-04-14', choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } });

function deployment(fields: Partial<Deployment> = {}): Deployment {
  return testDeployment({ id: 'gpt-direct', provider: 'openai', model: 'gpt-4.1', baseUrl, apiKey: API_KEY, ...fields });
}

const chat = (text: string, overrides: Partial<ChatRequest> = {}): ChatRequest =>
  chatRequest({ model: 'smart', system: [{ type: 'text', text: 'Be terse.' }], messages: [{ role: 'user', content: [{ type: 'text', text }] }], ...overrides });

async function send(request: ChatRequest, options: { passthroughBody?: Buffer; signal?: AbortSignal; deployment?: Deployment } = {}): Promise<AttemptResult> {
  return provider.send({
    deployment: options.deployment ?? deployment(),
    request,
    ...(options.passthroughBody === undefined ? {} : { passthroughBody: options.passthroughBody }),
    timeouts: TIMEOUTS,
    signal: options.signal ?? new AbortController().signal,
    requestId: 'req_test',
  });
}

const COMPLETION = {
  id: 'chatcmpl-CJ8abc',
  object: 'chat.completion',
  created: 1758612345,
  model: 'gpt-4.1-2025-04-14',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.', refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 19, completion_tokens: 2, total_tokens: 21 },
  service_tier: 'default',
  system_fingerprint: 'fp_3f58d112f7',
};

describe('OpenAIProvider: answers', () => {
  it('translates a request, sends it with the key, and decodes the JSON answer', async () => {
    script = json(200, COMPLETION);
    const result = await send(chat('Capital of France?'), { deployment: deployment({ headers: { 'openai-organization': 'org-keel' } }) });
    if (result.kind !== 'json') throw new Error(`expected json, got ${JSON.stringify(result)}`);
    expect(result.response).toMatchObject({ id: 'chatcmpl-CJ8abc', content: [{ type: 'text', text: 'Paris.' }], finishReason: 'stop', usage: { inputTokens: 19, outputTokens: 2 } });
    // A translated answer is re-encoded for its client: no raw bytes to forward.
    expect(result.raw).toBeUndefined();
    const [got] = received;
    expect(got).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
    expect(got!.headers).toMatchObject({ authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', accept: 'application/json', 'openai-organization': 'org-keel' });
    expect(JSON.parse(got!.body.toString('utf8'))).toEqual({ model: 'gpt-4.1', messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Capital of France?' }] });
  });

  it('passes a same-format body through byte for byte, and hands back the provider\'s bytes', async () => {
    // Spacing and a field Keel does not model must survive both ways.
    const answerBytes = JSON.stringify(COMPLETION, null, 2);
    script = json(200, answerBytes);
    const clientBody = Buffer.from('{"model":"gpt-4.1",  "messages":[{"role":"user","content":"hi"}], "metadata":{"team":"search"}}');
    const result = await send(chat('hi'), { passthroughBody: clientBody });
    if (result.kind !== 'json') throw new Error(`expected json, got ${JSON.stringify(result)}`);
    expect(received[0]!.body.equals(clientBody)).toBe(true);
    expect(result.raw?.toString('utf8')).toBe(answerBytes);
  });

  it('streams an answer as canonical events and verbatim frames, then ends', async () => {
    const recorded = fixture('text-stream.sse');
    script = sse([recorded]);
    const all = await items(await send(chat('Capital of France?', { stream: true })));
    expect(received[0]!.headers['accept']).toBe('text/event-stream');
    expect(JSON.parse(received[0]!.body.toString('utf8'))).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(streamedText(all)).toBe('Paris is the capital.');
    expect(events(all)[0]).toMatchObject({ type: 'start', model: 'gpt-4.1-2025-04-14' });
    expect(events(all)).toContainEqual({ type: 'finish', finishReason: 'stop' });
    expect(events(all).find((e) => e.type === 'usage')).toMatchObject({ usage: { inputTokens: 14, outputTokens: 6 } });
    // A same-format client is sent exactly what the provider sent, frame by frame.
    const raw = all.map((i) => (i.kind === 'data' ? i.raw : '')).join('');
    expect(raw + 'data: [DONE]\n\n').toBe(recorded);
    expect(all.at(-1)).toEqual({ kind: 'end' });
  });

  it('asks a passed-through stream for its usage when the client did not, and keeps that chunk from the client', async () => {
    const recorded = fixture('text-stream.sse');
    script = sse([recorded]);
    const clientBody = Buffer.from('{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_obfuscation":false}}');
    const all = await items(await send(chat('hi', { stream: true }), { passthroughBody: clientBody }));
    // The client's other stream options are kept; only `include_usage` is added.
    expect(received[0]!.body.toString('utf8')).toBe('{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_obfuscation":false,"include_usage":true}}');
    expect(events(all).find((e) => e.type === 'usage')).toMatchObject({ usage: { inputTokens: 14, outputTokens: 6 } });
    const frames = recorded.split('\n\n').filter((f) => f !== '').map((f) => `${f}\n\n`);
    const usageFrame = frames.find((f) => f.includes('"choices":[]'))!;
    expect(usageFrame).toBeDefined();
    const raw = all.map((i) => (i.kind === 'data' ? i.raw : '')).join('');
    expect(raw + usageFrame + 'data: [DONE]\n\n').toBe(recorded);
    expect(all.at(-1)).toEqual({ kind: 'end' });
  });

  it('sends a passed-through stream that asked for usage as it came, and forwards the usage chunk', async () => {
    const recorded = fixture('text-stream.sse');
    script = sse([recorded]);
    const clientBody = Buffer.from('{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}');
    const all = await items(await send(chat('hi', { stream: true, streamUsage: true }), { passthroughBody: clientBody }));
    expect(received[0]!.body.equals(clientBody)).toBe(true);
    expect(all.map((i) => (i.kind === 'data' ? i.raw : '')).join('') + 'data: [DONE]\n\n').toBe(recorded);
  });

  it('streams tool calls', async () => {
    script = sse([fixture('tool-call-stream.sse')]);
    const all = await items(await send(chat('Weather and time in Paris?', { stream: true })));
    expect(events(all).filter((e) => e.type === 'tool_call_start').map((e) => (e.type === 'tool_call_start' ? e.name : ''))).toEqual(['get_weather', 'get_time']);
    expect(events(all)).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
    expect(all.at(-1)).toEqual({ kind: 'end' });
  });

  it('reads a JSON answer to a stream request (a server without streaming) as JSON', async () => {
    script = json(200, COMPLETION);
    const result = await send(chat('hi', { stream: true }));
    expect(result).toMatchObject({ kind: 'json', response: { content: [{ type: 'text', text: 'Paris.' }] } });
  });
});

describe('OpenAIProvider: error answers', () => {
  const error = (message: string, type: string, code: string | null) => ({ error: { message, type, param: null, code } });

  it.each([
    [400, 'bad_request', error("Invalid value: 'usr'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.", 'invalid_request_error', 'invalid_value')],
    [400, 'context_length', error("This model's maximum context length is 128000 tokens. However, your messages resulted in 130001 tokens.", 'invalid_request_error', 'context_length_exceeded')],
    [401, 'auth', error(`Incorrect API key provided: ${API_KEY}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key')],
    [404, 'bad_request', error('The model `gpt-9` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')],
    [500, 'server_error', error('The server had an error while processing your request. Sorry about that!', 'server_error', null)],
    [503, 'overloaded', error('The engine is currently overloaded, please try again later.', 'server_error', null)],
  ])('HTTP %i → %s', async (status, outcome, body) => {
    script = json(status, body);
    const result = await send(chat('hi'));
    if (result.kind !== 'failure') throw new Error(`expected a failure, got ${result.kind}`);
    expect(result.failure).toMatchObject({ outcome, status, providerType: body.error.type });
    // The provider echoed our key in its message: it must never reach a client or a log.
    expect(result.failure.message).not.toContain(API_KEY);
  });

  it('HTTP 429 with retry-after-ms: the wait and the rate-limit headers are kept, the quota is not exhausted', async () => {
    script = json(429, error('Rate limit reached for gpt-4.1 in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.', 'requests', 'rate_limit_exceeded'), {
      'retry-after-ms': '120',
      'retry-after': '1',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '120ms',
      'x-request-id': 'req_abc',
    });
    const result = await send(chat('hi'));
    if (result.kind !== 'failure') throw new Error(`expected a failure, got ${result.kind}`);
    expect(result.failure).toMatchObject({ outcome: 'rate_limited', status: 429, retryAfterMs: 120, providerCode: 'rate_limit_exceeded' });
    expect(result.failure.rateLimitHeaders).toEqual({
      'retry-after-ms': '120',
      'retry-after': '1',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '120ms',
    });
    expect(result.failure.quotaExhausted).toBeUndefined();
  });

  it('HTTP 429 insufficient_quota is an exhausted quota', async () => {
    script = json(429, error('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota'));
    const result = await send(chat('hi'));
    expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'rate_limited', quotaExhausted: true } });
  });

  it('a 200 whose body is not JSON, or not a chat completion, is the provider\'s fault', async () => {
    script = json(200, '{"id": "chatcmpl-1", "choices": [');
    expect(await send(chat('hi'))).toMatchObject({ kind: 'failure', failure: { outcome: 'server_error', message: 'the provider answered with invalid JSON', status: 200 } });
    script = json(200, { id: 'chatcmpl-1', model: 'gpt-4.1', choices: [] });
    expect(await send(chat('hi'))).toMatchObject({ kind: 'failure', failure: { outcome: 'server_error', status: 200 } });
  });

  it('a port nobody listens on is a connection error', async () => {
    // Port 1 is privileged: nothing in a test run can be listening there (a freed ephemeral port could be reused).
    const result = await send(chat('hi'), { deployment: deployment({ id: 'gpt-nowhere', baseUrl: 'http://127.0.0.1:1/v1' }) });
    expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'connect_error', message: 'connection refused' } });
  });
});

describe('OpenAIProvider: streams that end badly', () => {
  it('an in-stream error object after some text is a classified failure, and the stream stops there', async () => {
    script = sse([chunk({ role: 'assistant', content: 'Par' }), frame({ error: { message: 'The server is overloaded', type: 'server_error', code: 'overloaded' } }), chunk({ content: 'is' })]);
    const all = await items(await send(chat('hi', { stream: true })));
    expect(streamedText(all)).toBe('Par');
    expect(all.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'overloaded', message: 'The server is overloaded' } });
    expect(all.filter((i) => i.kind === 'failure')).toHaveLength(1);
  });

  it('a finished answer whose [DONE] never comes is ended at once, not held until a timeout', async () => {
    // The response stays open: were the provider to wait for [DONE], this would hang for idleMs (20 s).
    script = sse([chunk({ role: 'assistant', content: 'Paris.' }), chunk({}, 'stop'), usageChunk], { end: false });
    const all = await items(await send(chat('hi', { stream: true })));
    expect(streamedText(all)).toBe('Paris.');
    expect(all.at(-1)).toEqual({ kind: 'end' });
  });

  it('a finished answer whose connection closes without [DONE] ends normally', async () => {
    script = sse([chunk({ role: 'assistant', content: 'Paris.' }), chunk({}, 'stop')]);
    const all = await items(await send(chat('hi', { stream: true })));
    expect(all.at(-1)).toEqual({ kind: 'end' });
  });

  it('an answer cut before it finished is a stream_cut, with or without [DONE]', async () => {
    script = sse([chunk({ role: 'assistant', content: 'Par' })]);
    const cut = await items(await send(chat('hi', { stream: true })));
    expect(streamedText(cut)).toBe('Par');
    expect(cut.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
    script = sse([chunk({ role: 'assistant', content: 'Par' }), frame('[DONE]')]);
    const early = await items(await send(chat('hi', { stream: true })));
    expect(early.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut', message: 'the provider ended the stream before the answer finished' } });
  });

  it('a client that goes away mid-stream cancels the attempt, which says nothing of the provider\'s health', async () => {
    script = sse([chunk({ role: 'assistant', content: 'Par' })], { end: false });
    const controller = new AbortController();
    const result = await send(chat('hi', { stream: true }), { signal: controller.signal });
    if (result.kind !== 'stream') throw new Error(`expected a stream, got ${result.kind}`);
    const first = await result.items.next();
    expect(first.value).toMatchObject({ kind: 'data' });
    controller.abort();
    const rest: StreamItem[] = [];
    for await (const item of result.items) rest.push(item);
    expect(rest).toEqual([{ kind: 'failure', failure: { outcome: 'stream_cut', message: 'cancelled: the client went away', cancelled: true } }]);
  });
});
