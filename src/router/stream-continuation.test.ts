import { describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../core/chat-response.js';
import { isPullable, WAIT, type Pullable } from '../core/pull-stream.js';
import type { StreamItem, UpstreamFailure } from '../providers/index.js';
import { continueOnFailure, type Continuation } from './stream-continuation.js';

const start = (id: string): StreamEvent => ({ type: 'start', id, model: 'm', created: 0 });
const text = (t: string, index = 0): StreamEvent => ({ type: 'text_delta', index, text: t });
const data = (...events: StreamEvent[]): StreamItem => ({ kind: 'data', events });
const finish: StreamItem = data({ type: 'finish', finishReason: 'stop' });
const END: StreamItem = { kind: 'end' };
const cut: UpstreamFailure = { outcome: 'stream_cut', message: 'the connection broke mid-response (ECONNRESET)' };
const failed = (failure: UpstreamFailure = cut): StreamItem => ({ kind: 'failure', failure });

/** A stream of fixed items whose `return()` is watched: a continuation not used must be closed. */
function items(...all: StreamItem[]): AsyncGenerator<StreamItem, void, undefined> {
  const gen = (async function* () {
    yield* all;
  })();
  vi.spyOn(gen, 'return');
  return gen;
}

async function collect(gen: AsyncGenerator<StreamItem, void, undefined>): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  for await (const item of gen) out.push(item);
  return out;
}

const textOf = (all: StreamItem[]): string =>
  all.flatMap((i) => (i.kind === 'data' ? i.events : [])).map((e) => (e.type === 'text_delta' ? e.text : '')).join('');

/** The original stream: a start, "Hello, wor" in two deltas, then a cut. */
const original = () => items(data(start('orig'), text('Hello')), data(text(', wor')), failed());

function offer(mode: Continuation['mode'], continuation: AsyncGenerator<StreamItem, void, undefined>) {
  const onTakeOver = vi.fn();
  const tryContinue = vi.fn(async (_partial: string): Promise<Continuation | undefined> => ({ items: continuation, mode, onTakeOver }));
  return { tryContinue, onTakeOver };
}

describe('continueOnFailure', () => {
  it('passes a stream that does not fail through untouched, without asking for a continuation', async () => {
    const tryContinue = vi.fn();
    const all = [data(start('a'), text('Hi')), finish, END];
    expect(await collect(continueOnFailure(items(...all), tryContinue))).toEqual(all);
    expect(tryContinue).not.toHaveBeenCalled();
  });

  it('continues with a prefill: resync first, then the continuation renumbered into the same text block', async () => {
    const prefill = items(data(start('other'), text('ld!', 3)), finish, END);
    const { tryContinue, onTakeOver } = offer('prefill', prefill);
    const out = await collect(continueOnFailure(original(), tryContinue));
    expect(tryContinue).toHaveBeenCalledWith('Hello, wor');
    expect(onTakeOver).toHaveBeenCalledOnce();
    expect(out.slice(2)).toEqual([{ kind: 'resync', events: [start('orig'), text('Hello'), text(', wor')] }, data(text('ld!', 0)), finish, END]);
    expect(textOf(out)).toBe('Hello, world!');
    expect(out.some((i) => i.kind === 'failure')).toBe(false);
  });

  it("splices a replay from exactly the end of the client's text when the boundary falls inside one delta", async () => {
    const replay = items(data(start('r')), data(text('Hel')), data(text('lo, wo')), data(text('rld'), text('!')), finish, END);
    const { tryContinue, onTakeOver } = offer('replay', replay);
    const out = await collect(continueOnFailure(original(), tryContinue));
    expect(onTakeOver).toHaveBeenCalledOnce();
    expect(out[2]).toEqual({ kind: 'resync', events: [start('orig'), text('Hello'), text(', wor')] });
    expect(out[3]).toEqual(data(text('ld'), text('!')));
    expect(out.slice(4)).toEqual([finish, END]);
    expect(textOf(out)).toBe('Hello, world!');
  });

  it('splices a replay whose delta ends exactly where the client text ends', async () => {
    const replay = items(data(start('r'), text('Hello, wor')), data(text('ld')), finish, END);
    const { tryContinue } = offer('replay', replay);
    const out = await collect(continueOnFailure(original(), tryContinue));
    expect(out.slice(2)).toEqual([{ kind: 'resync', events: [start('orig'), text('Hello'), text(', wor')] }, data(text('ld')), finish, END]);
  });

  const unusable: [string, () => AsyncGenerator<StreamItem, void, undefined>][] = [
    ['differs from the text already sent', () => items(data(start('r'), text('Hello, WORLD')), finish, END)],
    ['ends before saying as much', () => items(data(start('r'), text('Hello')), finish, END)],
    ['fails before matching', () => items(data(start('r'), text('Hello')), failed({ outcome: 'timeout', message: 'stalled' }))],
    ['sends a tool call first', () => items(data(start('r'), { type: 'tool_call_start', index: 0, id: 't', name: 'f' }), data(text('Hello, world')), END)],
    ['spreads the text over two blocks', () => items(data(start('r'), text('Hello', 0), text(', world', 1)), END)],
  ];
  it.each(unusable)('never splices a replay that %s: the original failure ends the stream and the replay is closed', async (_what, make) => {
    const replay = make();
    const { tryContinue, onTakeOver } = offer('replay', replay);
    const out = await collect(continueOnFailure(original(), tryContinue));
    expect(out).toEqual([data(start('orig'), text('Hello')), data(text(', wor')), failed()]);
    expect(replay.return).toHaveBeenCalled();
    expect(onTakeOver).not.toHaveBeenCalled();
  });

  it('yields the original failure when no continuation can be had', async () => {
    const tryContinue = vi.fn(async () => undefined);
    const out = await collect(continueOnFailure(original(), tryContinue));
    expect(tryContinue).toHaveBeenCalledOnce();
    expect(out.at(-1)).toEqual(failed());
  });

  it('never continues an answer that had more than text (a tool call half sent)', async () => {
    const tryContinue = vi.fn();
    const partial = items(data(start('orig'), text('Let me look.')), data({ type: 'tool_call_start', index: 1, id: 't', name: 'search' }), failed());
    const out = await collect(continueOnFailure(partial, tryContinue));
    expect(tryContinue).not.toHaveBeenCalled();
    expect(out.at(-1)).toEqual(failed());
  });

  it('never continues a failure that is a cancellation or not worth failing over', async () => {
    const tryContinue = vi.fn();
    const cancelled = items(data(start('orig'), text('Hel')), failed({ ...cut, cancelled: true }));
    expect((await collect(continueOnFailure(cancelled, tryContinue))).at(-1)).toEqual(failed({ ...cut, cancelled: true }));
    const filtered = items(data(start('orig'), text('Hel')), failed({ outcome: 'content_filter', message: 'blocked' }));
    expect((await collect(continueOnFailure(filtered, tryContinue))).at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'content_filter' } });
    expect(tryContinue).not.toHaveBeenCalled();
  });

  it('never continues a stream that failed before any text', async () => {
    const tryContinue = vi.fn();
    const out = await collect(continueOnFailure(items(data(start('orig')), failed()), tryContinue));
    expect(tryContinue).not.toHaveBeenCalled();
    expect(out.at(-1)).toEqual(failed());
  });
});

/** Fixed items that can also be pulled from, as a provider's stream reader can; `return()` watched. */
function pullableItems(...all: StreamItem[]): AsyncGenerator<StreamItem, void, undefined> {
  let next = 0;
  return Object.assign(items(...all), { pullable: true, pull: () => all[next++], onReady: () => undefined });
}

/** Reads a stream by `pull` only, waiting for its wake-up whenever it answers WAIT. */
async function pullAll(stream: AsyncGenerator<StreamItem, void, undefined>): Promise<StreamItem[]> {
  expect(isPullable(stream)).toBe(true);
  const pulled = stream as unknown as Pullable<StreamItem>;
  let wake: () => void = () => undefined;
  pulled.onReady(() => wake());
  const out: StreamItem[] = [];
  for (let item = pulled.pull(); item !== undefined; item = pulled.pull()) {
    if (item === WAIT) await new Promise<void>((resolve) => (wake = resolve));
    else out.push(item);
  }
  return out;
}

describe('continueOnFailure, pulled', () => {
  it('passes a stream that does not fail through, and closes it at its end', async () => {
    const source = pullableItems(data(start('a'), text('Hi')), finish, END);
    expect(await pullAll(continueOnFailure(source, vi.fn()))).toEqual([data(start('a'), text('Hi')), finish, END]);
    expect(source.return).toHaveBeenCalled();
  });

  it('continues with a prefill, exactly as when iterated', async () => {
    const prefill = items(data(start('other'), text('ld!', 3)), finish, END);
    const { tryContinue, onTakeOver } = offer('prefill', prefill);
    const source = pullableItems(data(start('orig'), text('Hello')), data(text(', wor')), failed());
    const out = await pullAll(continueOnFailure(source, tryContinue));
    expect(onTakeOver).toHaveBeenCalledOnce();
    expect(out.slice(2)).toEqual([{ kind: 'resync', events: [start('orig'), text('Hello'), text(', wor')] }, data(text('ld!', 0)), finish, END]);
    expect(textOf(out)).toBe('Hello, world!');
    expect(source.return).toHaveBeenCalled();
  });

  it('ends with the original failure when no continuation can be had', async () => {
    const source = pullableItems(data(start('orig'), text('Hello')), failed());
    const out = await pullAll(continueOnFailure(source, vi.fn(async () => undefined)));
    expect(out).toEqual([data(start('orig'), text('Hello')), failed()]);
  });

  it('a continuation that throws is thrown from the pull, and the streams are closed', async () => {
    const source = pullableItems(data(start('orig'), text('Hello')), failed());
    const stream = continueOnFailure(source, async () => {
      throw new Error('router broke');
    });
    await expect(pullAll(stream)).rejects.toThrow('router broke');
    expect(source.return).toHaveBeenCalled();
  });

  it('is not pullable over a stream that is not', () => {
    expect(isPullable(continueOnFailure(items(END), vi.fn()))).toBe(false);
  });
});
