/**
 * How a committed stream reports its end: exactly once, with its usage, including when it is closed
 * unread (a hedge that lost) — the attempt must still be settled, or its slot and permit stay held.
 */
import { describe, expect, it } from 'vitest';
import type { StreamItem, UpstreamFailure } from '../providers/index.js';
import { closeStream, observeEnd } from './stream-commit.js';

async function* upstream(log: string[]): AsyncGenerator<StreamItem, void, undefined> {
  try {
    yield { kind: 'data', events: [{ type: 'text_delta', index: 0, text: 'Hello' }] };
    yield { kind: 'data', events: [{ type: 'usage', usage: { inputTokens: 3, outputTokens: 1 } }] };
    yield { kind: 'end' };
  } finally {
    log.push('upstream closed');
  }
}

describe('observeEnd', () => {
  it('reports a stream that ends well once, with its usage', async () => {
    const ends: [UpstreamFailure | undefined, unknown][] = [];
    for await (const _ of observeEnd(upstream([]), (failure, usage) => ends.push([failure, usage]))) void _;
    expect(ends).toEqual([[undefined, { inputTokens: 3, outputTokens: 1 }]]);
  });

  it('reports the output characters a stream brought before its client left, text, thinking and tool arguments', async () => {
    async function* output(): AsyncGenerator<StreamItem, void, undefined> {
      yield { kind: 'data', events: [{ type: 'thinking_delta', index: 0, text: 'Hmm' }, { type: 'text_delta', index: 1, text: 'Hello' }] };
      yield { kind: 'data', events: [{ type: 'tool_call_start', index: 2, id: 'call_1', name: 'f' }, { type: 'tool_call_delta', index: 2, argumentsDelta: '{"a":1}' }] };
      yield { kind: 'data', events: [{ type: 'text_delta', index: 1, text: 'never read' }] };
    }
    const ends: unknown[][] = [];
    const observed = observeEnd(output(), (...end) => ends.push(end));
    await observed.next();
    await observed.next();
    await observed.return(undefined);
    expect(ends).toEqual([[{ outcome: 'stream_cut', message: 'cancelled: the client went away', cancelled: true }, undefined, 3 + 5 + 7]]);
  });

  it('reports a stream closed unread by closeStream as cancelled, and closes the upstream', async () => {
    const ends: (UpstreamFailure | undefined)[] = [];
    const log: string[] = [];
    await closeStream(observeEnd(upstream(log), (failure) => ends.push(failure)));
    expect(ends).toEqual([{ outcome: 'stream_cut', message: 'cancelled: the client went away', cancelled: true }]);
    expect(log).toEqual(['upstream closed']);
  });

  it('reports a stream returned before it was read as cancelled (a generator would have skipped it), and closes the upstream', async () => {
    const ends: unknown[] = [];
    const log: string[] = [];
    const upstreamItems = upstream(log);
    await upstreamItems.next();
    await observeEnd(upstreamItems, (failure) => ends.push(failure)).return(undefined);
    expect(ends).toEqual([{ outcome: 'stream_cut', message: 'cancelled: the client went away', cancelled: true }]);
    expect(log).toEqual(['upstream closed']);
  });

  it('reports once and closes the upstream once, however often it is closed', async () => {
    const ends: unknown[] = [];
    const log: string[] = [];
    const observed = observeEnd(upstream(log), (failure) => ends.push(failure));
    for await (const _ of observed) void _;
    await observed.return(undefined);
    await observed.return(undefined);
    expect(ends).toEqual([undefined]);
    expect(log).toEqual(['upstream closed']);
  });
});
