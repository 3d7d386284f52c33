import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isPullable, WAIT, type Pullable } from '../../core/pull-stream.js';
import type { StreamItem } from '../types.js';
import { readSseItems, type StreamWatch, type WatchedEvent } from './sse-items.js';

// Timing here is real (the reader arms a Node timer on the body); margins are wide so a busy 2-core
// machine cannot flip an assertion: "stalls" waits up to seconds for a 100 ms budget, "does not stall"
// keeps every gap a small fraction of it.
const IDLE_MS = 150;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A decoder as simple as the reader allows: each event's data is a text delta; `fin` finishes the answer
 * (more may follow), `stop` finishes it with nothing more needed, `[DONE]` is the explicit terminator and
 * `oops` an in-stream error.
 */
class Watch implements StreamWatch {
  finished = false;
  complete = false;
  names: Array<string | undefined> = [];

  push(data: string, event: string | undefined): WatchedEvent {
    this.names.push(event);
    if (data === '[DONE]') return { events: [], done: true };
    if (data === 'oops') return { events: [], failure: { outcome: 'overloaded', message: 'overloaded mid-stream' } };
    if (data === 'fin' || data === 'stop') this.finished = true;
    if (data === 'stop') this.complete = true;
    return { events: [{ type: 'text_delta', index: 0, text: data }], raw: `data: ${data}\n\n` };
  }
}

const signal = new AbortController().signal;
const open = (body: PassThrough, idleMs = IDLE_MS, watch: StreamWatch = new Watch()) => readSseItems(body, { idleMs, signal }, watch);

/** Each item as text: a data item as its texts joined by `|`, `end`, or `failure: <outcome>`. */
function show(item: StreamItem): string {
  if (item.kind === 'data') return item.events.map((e) => (e.type === 'text_delta' ? e.text : e.type)).join('|');
  return item.kind === 'failure' ? `failure: ${item.failure.outcome}` : item.kind;
}

async function readAll(body: PassThrough, idleMs = IDLE_MS, watch?: StreamWatch): Promise<string[]> {
  const seen: string[] = [];
  for await (const item of open(body, idleMs, watch)) seen.push(show(item));
  return seen;
}

/** Writes `chunk` every `everyMs` until stopped. */
function keepWriting(body: PassThrough, chunk: string, everyMs: number): () => void {
  const timer = setInterval(() => {
    if (!body.destroyed) body.write(chunk);
  }, everyMs);
  return () => clearInterval(timer);
}

describe('readSseItems', () => {
  it('gives the events of one read as one data item, verbatim frames included', async () => {
    const body = new PassThrough();
    body.end('data: a\n\ndata: b\n\ndata: fin\n\n');
    const items: StreamItem[] = [];
    for await (const item of open(body)) items.push(item);
    expect(items.map(show)).toEqual(['a|b|fin', 'end']);
    expect(items[0]).toMatchObject({ raw: 'data: a\n\ndata: b\n\ndata: fin\n\n' });
  });

  it("hands the decoder each event's name", async () => {
    const body = new PassThrough();
    const watch = new Watch();
    body.end('event: one\ndata: a\n\ndata: b\n\nevent: two\ndata: stop\n\n');
    expect(await readAll(body, IDLE_MS, watch)).toEqual(['a|b|stop', 'end']);
    expect(watch.names).toEqual(['one', undefined, 'two']);
  });

  it('reassembles events split across chunks, even inside a field', async () => {
    const body = new PassThrough();
    const reading = readAll(body);
    body.write('data: hel');
    await wait(5);
    body.write('lo\n');
    await wait(5);
    body.write('\ndata: wor');
    await wait(5);
    body.end('ld\n\ndata: fin\n\n');
    expect((await reading).join('|')).toBe('hello|world|fin|end');
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const body = new PassThrough();
    const reading = readAll(body);
    const bytes = Buffer.from('data: café\n\ndata: fin\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    body.write(bytes.subarray(0, cut));
    await wait(5);
    body.end(bytes.subarray(cut));
    expect((await reading).join('|')).toBe('café|fin|end');
  });

  it('decodes characters split over several chunks, and whole chunks after them', async () => {
    const body = new PassThrough();
    const reading = readAll(body);
    const bytes = Buffer.from('data: a🙂b\n\ndata: é\n\ndata: plain\n\ndata: fin\n\n');
    const emoji = bytes.indexOf(0xf0); // four bytes: sent one, two, then the last with the rest of the event
    const accent = bytes.indexOf(0xc3) + 2; // a chunk that ends right after a whole "é"
    for (const [from, to] of [[0, emoji + 1], [emoji + 1, emoji + 3], [emoji + 3, accent], [accent, bytes.length]] as const) {
      body.write(bytes.subarray(from, to));
      await wait(5);
    }
    body.end();
    expect((await reading).join('|')).toBe('a🙂b|é|plain|fin|end');
  });

  it('drops a byte-order mark that opens the stream, even split across chunks, and only there', async () => {
    const body = new PassThrough();
    const reading = readAll(body);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: a\uFEFFb\n\ndata: fin\n\n')]);
    body.write(bytes.subarray(0, 2));
    await wait(5);
    body.end(bytes.subarray(2));
    expect((await reading).join('|')).toBe('a\uFEFFb|fin|end');
  });

  it('ends at once when the decoder needs nothing more, and drains the rest so the socket can be reused', async () => {
    const body = new PassThrough();
    body.write('data: stop\n\n');
    const items = open(body);
    expect(show((await items.next()).value as StreamItem)).toBe('stop');
    expect(show((await items.next()).value as StreamItem)).toBe('end');
    expect((await items.next()).done).toBe(true);
    expect(body.destroyed).toBe(false);
    const ended = once(body, 'end');
    body.end('data: [DONE]\n\n');
    await ended;
    expect(body.readableEnded).toBe(true);
  });

  it('a terminator after the answer finished is the end; before it, the stream was cut', async () => {
    const finished = new PassThrough();
    finished.write('data: a\n\ndata: fin\n\ndata: [DONE]\n\n');
    expect(await readAll(finished)).toEqual(['a|fin', 'end']);
    const early = new PassThrough();
    early.write('data: a\n\ndata: [DONE]\n\n');
    expect(await readAll(early)).toEqual(['a', 'failure: stream_cut']);
  });

  it('a body that ends or breaks before the answer finished is cut; after it, the answer stands', async () => {
    const ends = new PassThrough();
    ends.end('data: a\n\n');
    expect(await readAll(ends)).toEqual(['a', 'failure: stream_cut']);

    const breaks = new PassThrough();
    const reading = readAll(breaks);
    breaks.write('data: a\n\n');
    await wait(20);
    breaks.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    expect(await reading).toEqual(['a', 'failure: stream_cut']);

    const breaksLate = new PassThrough();
    const late = readAll(breaksLate);
    breaksLate.write('data: a\n\ndata: fin\n\n');
    await wait(20);
    breaksLate.destroy(new Error('reset'));
    expect(await late).toEqual(['a|fin', 'end']);

    const closes = new PassThrough();
    const closing = readAll(closes);
    closes.write('data: a\n\n');
    await wait(20);
    closes.destroy(); // closed with neither an end nor an error
    expect(await closing).toEqual(['a', 'failure: stream_cut']);
  });

  it('an in-stream error ends the stream after the data before it, and lets the body go', async () => {
    const body = new PassThrough();
    body.write('data: a\n\ndata: oops\n\ndata: never\n\n');
    expect(await readAll(body)).toEqual(['a', 'failure: overloaded']);
    expect(body.destroyed).toBe(true);
  });

  it('a stream that only pings after its first event stalls with an idle timeout', async () => {
    const body = new PassThrough();
    const reading = readAll(body, 100);
    body.write('data: first\n\n');
    const stop = keepWriting(body, ': ping\n\n', 10);
    try {
      // 50 idle budgets: a reader that counted pings as progress would never stall.
      const result = await Promise.race([reading, wait(5_000).then(() => ['no stall within 5 s'])]);
      expect(result).toEqual(['first', 'failure: timeout']);
    } finally {
      stop();
    }
  });

  it('does not stall while data keeps coming well within the idle budget', async () => {
    const body = new PassThrough();
    const reading = readAll(body, 400);
    const stop = keepWriting(body, 'data: x\n\n', 10);
    await wait(1_200); // three idle budgets of steady data
    stop();
    body.end('data: fin\n\n');
    const seen = await reading;
    expect(seen.at(-1)).toBe('end');
    expect(seen.join('|').split('|').filter((t) => t === 'x').length).toBeGreaterThan(5);
  });

  it('arms no timer before the first data event: a long silence and pings before it are not a stall', async () => {
    const body = new PassThrough();
    const reading = readAll(body, 50);
    const stop = keepWriting(body, ': ping\n\n', 10);
    await wait(500); // ten idle budgets with nothing but pings
    stop();
    body.end('data: fin\n\n');
    expect(await reading).toEqual(['fin', 'end']);
  });

  it('does not charge a slow consumer to the provider', async () => {
    const body = new PassThrough();
    body.write('data: 1\n\n');
    const seen: string[] = [];
    for await (const item of open(body, 50)) {
      seen.push(show(item));
      await wait(300); // the client reads six idle budgets slower than the provider sends
      // The provider sends its next event as soon as the client has taken the previous one: the silence
      // before it was all the client's.
      if (seen.length === 1) body.write('data: 2\n\n');
      if (seen.length === 2) body.end('data: fin\n\n');
    }
    expect(seen).toEqual(['1', '2', 'fin', 'end']);
  });

  it('holds no timer once the stream has ended: nothing keeps the stream, or the process, alive', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const body = new PassThrough();
    body.end('data: a\n\ndata: stop\n\ndata: [DONE]\n\n');
    expect(await readAll(body)).toEqual(['a|stop', 'end']);
    await new Promise((r) => setImmediate(r)); // the drained body closes
    expect(body.destroyed).toBe(true);
    expect(timers()).toBe(before);
  });

  it('destroys the body of an abandoned answer (client gone mid-answer)', async () => {
    const body = new PassThrough();
    body.write('data: half\n\n');
    for await (const item of open(body)) {
      expect(show(item)).toBe('half');
      break;
    }
    expect(body.destroyed).toBe(true);
    expect(body.readableEnded).toBe(false);
  });

  it('a return while a read waits ends that read', async () => {
    const body = new PassThrough();
    const items = open(body);
    const waiting = items.next();
    await wait(10);
    await items.return(undefined);
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(body.destroyed).toBe(true);
  });

  it('reads only as fast as its consumer: what it has not been asked for stays in the body', async () => {
    const body = new PassThrough({ highWaterMark: 16 });
    const items = open(body);
    body.write('data: 1\n\n');
    expect(show((await items.next()).value as StreamItem)).toBe('1');
    // Nothing asked: a burst stays buffered upstream of the reader, and the body reports back-pressure.
    let accepted = true;
    for (let i = 0; i < 20 && accepted; i++) accepted = body.write('data: more\n\n');
    expect(accepted).toBe(false);
    await items.return(undefined);
  });
});

describe('readSseItems, pulled (no promise per item)', () => {
  it('answers WAIT until the body has an event, calls back when it may have one, then gives it', async () => {
    const body = new PassThrough();
    const items = open(body) as unknown as Pullable<StreamItem> & AsyncGenerator<StreamItem, void, undefined>;
    expect(isPullable(items)).toBe(true);
    let woken = 0;
    items.onReady(() => (woken += 1));
    expect(items.pull()).toBe(WAIT);
    body.write('data: a\n\n');
    await wait(10);
    expect(woken).toBeGreaterThan(0);
    expect(show(items.pull() as StreamItem)).toBe('a');
    expect(items.pull()).toBe(WAIT);
    body.end('data: stop\n\n');
    await wait(10);
    const rest: string[] = [];
    for (let item = items.pull(); item !== undefined; item = items.pull()) if (item !== WAIT) rest.push(show(item));
    expect(rest).toEqual(['stop', 'end']);
    await items.return(undefined);
  });

  it('a body that goes silent after its first event is cut by the idle budget, even with nobody awaiting', async () => {
    const body = new PassThrough();
    const items = open(body) as unknown as Pullable<StreamItem>;
    const seen: string[] = [];
    const ended = new Promise<void>((resolve) => {
      const drain = (): void => {
        for (let item = items.pull(); item !== WAIT; item = items.pull()) {
          if (item === undefined) return resolve();
          seen.push(show(item));
        }
      };
      items.onReady(drain);
      drain();
    });
    body.write('data: first\n\n');
    const stop = keepWriting(body, ': ping\n\n', 20);
    try {
      const result = await Promise.race([ended.then(() => seen), wait(5_000).then(() => ['no stall within 5 s'])]);
      expect(result).toEqual(['first', 'failure: timeout']);
    } finally {
      stop();
    }
  });
});
