import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { chatRequest } from '../../core/chat-request.js';
import { KeelError } from '../../core/errors.js';
import { closedPort, startLoopbackServer, type LoopbackServer } from '../../../test/support/loopback-server.js';
import { testDeployment } from '../../../test/support/test-deployment.js';
import type { AttemptInput, AttemptResult, UpstreamFailure } from '../types.js';
import { exchange, readJsonAnswer, type ExchangeSpec } from './exchange.js';
import { StreamTimeoutError } from './network-failure.js';
import { readSseItems } from './sse-items.js';
import { closeAllPools } from './upstream-pool.js';

let server: LoopbackServer;
let nextId = 0;

beforeAll(async () => {
  server = await startLoopbackServer();
});

afterAll(async () => {
  await closeAllPools();
  await server.close();
});

function input(fields: { stream?: boolean; signal?: AbortSignal; idleMs?: number; baseUrl?: string; onHeaders?: () => void } = {}): AttemptInput {
  return {
    // A deployment (and so a pool) per test: one test's broken socket never reaches the next.
    deployment: testDeployment({ id: `exchange-${nextId++}`, provider: 'openai', model: 'm', baseUrl: fields.baseUrl ?? server.url }),
    request: chatRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: fields.stream ?? false }),
    timeouts: { idleMs: fields.idleMs ?? 20_000 },
    signal: fields.signal ?? new AbortController().signal,
    requestId: 'req_test',
    ...(fields.onHeaders === undefined ? {} : { onHeaders: fields.onHeaders }),
  };
}

const answerSchema = z.object({ text: z.string() });

function spec(overrides: Partial<ExchangeSpec> = {}): ExchangeSpec {
  return {
    path: '/chat',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    classifyError: (status, bodyText) => ({ outcome: status === 429 ? 'rate_limited' : 'server_error', message: bodyText, status }),
    readJson: async (res) => {
      const read = await readJsonAnswer(res, answerSchema, 'an answer', false);
      if (!read.ok) return { kind: 'failure', failure: read.failure };
      return { kind: 'json', response: { text: read.json.text } as never, raw: read.raw };
    },
    // Every event is a text delta, and the answer is whole whenever the body ends.
    readStream: (body, options) =>
      readSseItems(body, options, { finished: true, complete: false, push: (data) => ({ events: [{ type: 'text_delta', index: 0, text: data }], raw: `data: ${data}\n\n` }) }),
    ...overrides,
  };
}

function failureOf(result: AttemptResult): UpstreamFailure {
  if (result.kind !== 'failure') throw new Error(`expected a failure, got ${result.kind}`);
  return result.failure;
}

/** A server that accepts the request and never answers; the test aborts once the request has arrived. */
async function abortedWhileWaiting(reason: unknown): Promise<UpstreamFailure> {
  const controller = new AbortController();
  server.answer(() => controller.abort(reason));
  return failureOf(await exchange(input({ signal: controller.signal }), spec()));
}

describe('exchange', () => {
  it('classifies an error status with the spec classifier, given the body text and headers', async () => {
    server.answer((res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end('{"error":"slow down"}');
    });
    const classifyError = vi.fn<ExchangeSpec['classifyError']>(() => ({ outcome: 'rate_limited', message: 'classified', status: 429 }));
    const failure = failureOf(await exchange(input(), spec({ classifyError })));
    expect(failure).toEqual({ outcome: 'rate_limited', message: 'classified', status: 429 });
    expect(classifyError).toHaveBeenCalledOnce();
    const [status, bodyText, headers] = classifyError.mock.calls[0]!;
    expect(status).toBe(429);
    expect(bodyText).toBe('{"error":"slow down"}');
    expect(headers['retry-after']).toBe('7');
  });

  it('reads a JSON answer to a stream request as JSON, not as a stream', async () => {
    server.answer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"text":"whole"}');
    });
    const readStream = vi.fn<ExchangeSpec['readStream']>();
    const result = await exchange(input({ stream: true }), spec({ readStream }));
    expect(result).toMatchObject({ kind: 'json', response: { text: 'whole' } });
    expect(readStream).not.toHaveBeenCalled();
  });

  it('hands an event stream to the stream reader and calls onHeaders as soon as headers arrive', async () => {
    let finish: (() => void) | undefined;
    server.answer((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    });
    const onHeaders = vi.fn();
    const result = await exchange(input({ stream: true, onHeaders }), spec());
    // The body is still open: the headers alone were the first byte.
    expect(onHeaders).toHaveBeenCalledOnce();
    expect(result.kind).toBe('stream');
    finish!();
    const texts: string[] = [];
    for await (const item of (result as Extract<AttemptResult, { kind: 'stream' }>).items) {
      if (item.kind === 'data') for (const e of item.events) if (e.type === 'text_delta') texts.push(e.text);
    }
    expect(texts).toEqual(['one', 'two']);
  });

  it('does not call onHeaders when the connection fails before any', async () => {
    const onHeaders = vi.fn();
    const failure = failureOf(await exchange(input({ baseUrl: `http://127.0.0.1:${await closedPort()}`, onHeaders }), spec()));
    expect(failure.outcome).toBe('connect_error');
    expect(onHeaders).not.toHaveBeenCalled();
  });

  it("is a timeout when the attempt's clock aborts it", async () => {
    const failure = await abortedWhileWaiting(new StreamTimeoutError('first_token', 1_000));
    expect(failure).toMatchObject({ outcome: 'timeout', message: 'no first token within 1000 ms' });
    expect(failure.cancelled).toBeUndefined();
  });

  it('is a timeout when the request deadline aborts it', async () => {
    const failure = await abortedWhileWaiting(new KeelError('deadline_exceeded', 'deadline'));
    expect(failure.outcome).toBe('timeout');
    expect(failure.cancelled).toBeUndefined();
  });

  it('is a cancellation, nobody\'s fault, when the client goes away', async () => {
    const failure = await abortedWhileWaiting(new Error('client closed'));
    expect(failure.cancelled).toBe(true);
  });

  it('is a stream cut when the body breaks mid-way', async () => {
    server.answer((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"text":"hal');
      setImmediate(() => res.socket?.destroy());
    });
    const failure = failureOf(await exchange(input(), spec()));
    expect(failure.outcome).toBe('stream_cut');
    expect(failure.cancelled).toBeUndefined();
  });

  it('is a timeout when a JSON body stalls mid-way for longer than the idle budget', async () => {
    server.answer((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"text":"hal'); // and nothing more
    });
    const failure = failureOf(await exchange(input({ idleMs: 100 }), spec()));
    expect(failure.outcome).toBe('timeout');
  });

  it('is the provider\'s fault when a JSON answer is not JSON or not the expected shape', async () => {
    server.answer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('not json');
    });
    expect(failureOf(await exchange(input(), spec()))).toMatchObject({ outcome: 'server_error', status: 200 });
    server.answer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"other":1}');
    });
    const failure = failureOf(await exchange(input(), spec()));
    expect(failure).toMatchObject({ outcome: 'server_error', status: 200 });
    expect(failure.message).toContain('an answer');
  });
});
