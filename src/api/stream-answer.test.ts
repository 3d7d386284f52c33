/**
 * The dispatched answer as the transport iterates it: a stream the client left before its first frame was
 * written still closes the upstream stream and releases the dispatch (its slots and deadline), which a bare
 * generator's `return()` would skip.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { WAIT } from '../core/pull-stream.js';
import { readSseItems, type StreamWatch } from '../providers/http/sse-items.js';
import type { StreamItem } from '../providers/index.js';
import { observeEnd } from '../router/stream-commit.js';
import { pullableFrames, type PullableFrames } from '../server/sse-writer.js';
import type { DispatchResult } from '../router/router-types.js';
import type { ApiRequest } from './api-request.js';
import { answerDispatch, type Surface } from './stream-answer.js';

const surface: Surface = {
  encodeResponse: () => ({}),
  streamEncoder: () => ({ encode: () => 'data: x\n\n', finish: () => 'data: [DONE]\n\n' }),
  passthroughEnd: 'data: [DONE]\n\n',
  failure: () => 'data: {"error":{}}\n\n',
};

function dispatched(log: string[]): DispatchResult {
  async function* items(): AsyncGenerator<StreamItem, void, undefined> {
    try {
      yield { kind: 'data', events: [{ type: 'text_delta', index: 0, text: 'Hi' }] };
      yield { kind: 'end' };
    } finally {
      log.push('upstream closed');
    }
  }
  return { route: 'r', deployment: undefined, attempts: [], passthrough: false, answer: { kind: 'stream', items: items() }, done: () => log.push('released') };
}

const req = (): ApiRequest => ({ headers: {}, requestId: 'req_1', body: Buffer.alloc(0), json: {}, signal: new AbortController().signal, trail: {} });

describe('answerDispatch', () => {
  it('closes the upstream and releases the dispatch when the client leaves before the first frame', async () => {
    const log: string[] = [];
    const answer = answerDispatch(req(), dispatched(log), surface);
    const frames = (answer.body as AsyncIterable<string>)[Symbol.asyncIterator]();
    await frames.return?.();
    expect(log).toEqual(['upstream closed', 'released']);
  });

  it('releases once when read to the end', async () => {
    const log: string[] = [];
    const answer = answerDispatch(req(), dispatched(log), surface);
    const out: string[] = [];
    for await (const frame of answer.body as AsyncIterable<string>) out.push(frame);
    expect(out).toEqual(['data: x\n\n', 'data: [DONE]\n\n']);
    expect(log.filter((l) => l === 'released')).toHaveLength(1);
  });
});

describe('answerDispatch, pulled', () => {
  /** Each event's data is a text delta; `fin` finishes the answer. */
  class FinWatch implements StreamWatch {
    finished = false;
    complete = false;
    push(data: string) {
      if (data === 'fin') this.finished = this.complete = true;
      return { events: [{ type: 'text_delta' as const, index: 0, text: data }], raw: `data: ${data}\n\n` };
    }
  }

  it('a provider stream under the end observer can be written without a promise per frame, same frames', async () => {
    const log: string[] = [];
    const body = new PassThrough();
    const items = observeEnd(readSseItems(body, { idleMs: 10_000, signal: new AbortController().signal }, new FinWatch()), (failure) => log.push(failure === undefined ? 'ended well' : failure.outcome));
    const result: DispatchResult = { route: 'r', deployment: undefined, attempts: [], passthrough: true, answer: { kind: 'stream', items }, done: () => log.push('released') };
    const frames = answerDispatch(req(), result, surface).body as object;
    expect(pullableFrames(frames)).toBe(true);
    const pulled = frames as PullableFrames;
    expect(pulled.pull()).toBe(WAIT);
    body.end('data: Hi\n\ndata: fin\n\n');
    await new Promise<void>((resolve) => pulled.onReady(resolve));
    const out: (string | Buffer)[] = [];
    for (let frame = pulled.pull(); frame !== undefined; frame = pulled.pull()) if (frame !== WAIT) out.push(frame);
    await pulled.return();
    // The provider's frames go out as the bytes it sent (nothing re-encoded); Keel's terminator as text.
    expect(Buffer.isBuffer(out[0])).toBe(true);
    expect(out.map(String)).toEqual(['data: Hi\n\ndata: fin\n\n', 'data: [DONE]\n\n']);
    expect(log).toEqual(['ended well', 'released']);
  });

  it('flags its last frame, and has the attempt report its end only when closed after it', async () => {
    const log: string[] = [];
    const body = new PassThrough();
    const items = observeEnd(readSseItems(body, { idleMs: 10_000, signal: new AbortController().signal }, new FinWatch()), (failure) => log.push(failure === undefined ? 'ended well' : failure.outcome));
    const result: DispatchResult = { route: 'r', deployment: undefined, attempts: [], passthrough: true, answer: { kind: 'stream', items }, done: () => log.push('released') };
    const pulled = answerDispatch(req(), result, surface).body as object as PullableFrames;
    expect(pulled.pull()).toBe(WAIT);
    body.end('data: Hi\n\ndata: fin\n\n');
    await new Promise<void>((resolve) => pulled.onReady(resolve));
    const out: string[] = [];
    while (pulled.ended !== true) {
      const frame = pulled.pull();
      if (frame !== WAIT && frame !== undefined) out.push(String(frame));
    }
    expect(out).toEqual(['data: Hi\n\ndata: fin\n\n', 'data: [DONE]\n\n']);
    // A server writes the last frame and ends its response here, before any bookkeeping.
    expect(log).toEqual([]);
    await pulled.return();
    expect(log).toEqual(['ended well', 'released']);
  });

  it('gives a surface that reads its frames the text, not the provider\'s bytes', async () => {
    const body = new PassThrough();
    const items = readSseItems(body, { idleMs: 10_000, signal: new AbortController().signal }, new FinWatch());
    const result: DispatchResult = { route: 'r', deployment: undefined, attempts: [], passthrough: true, answer: { kind: 'stream', items }, done: () => undefined };
    body.end('data: Hi\n\ndata: fin\n\n');
    const out: unknown[] = [];
    for await (const frame of answerDispatch(req(), result, { ...surface, readsFrames: true }).body as AsyncIterable<unknown>) out.push(frame);
    expect(out).toEqual(['data: Hi\n\ndata: fin\n\n', 'data: [DONE]\n\n']);
  });

  it('a layer that cannot be pulled from (a generator) keeps the stream iterated', () => {
    const frames = answerDispatch(req(), dispatched([]), surface).body as object;
    expect(pullableFrames(frames)).toBe(false);
  });
});
