/**
 * The dispatched answer as the transport iterates it: a stream the client left before its first frame was
 * written still closes the upstream stream and releases the dispatch (its slots and deadline), which a bare
 * generator's `return()` would skip.
 */
import { describe, expect, it } from 'vitest';
import type { StreamItem } from '../providers/index.js';
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
