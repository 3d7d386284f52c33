import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { StreamTimeoutError } from './network-failure.js';
import { readSseBatches } from './sse-reader.js';

// Timing here is real (the reader arms a Node timer on the body); margins are wide so a busy 2-core
// machine cannot flip an assertion: "stalls" waits up to seconds for a 100 ms budget, "does not stall"
// keeps every gap a small fraction of it.
const IDLE_MS = 150;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readAll(body: PassThrough, idleMs = IDLE_MS): Promise<{ data: string[]; error?: unknown }> {
  const data: string[] = [];
  try {
    for await (const batch of readSseBatches(body, { idleMs })) for (const event of batch) data.push(event.data);
    return { data };
  } catch (error) {
    return { data, error };
  }
}

/** Writes `chunk` every `everyMs` until stopped. */
function keepWriting(body: PassThrough, chunk: string, everyMs: number): () => void {
  const timer = setInterval(() => {
    if (!body.destroyed) body.write(chunk);
  }, everyMs);
  return () => clearInterval(timer);
}

describe('readSseBatches', () => {
  it('gives the events of one read as one batch', async () => {
    const body = new PassThrough();
    body.end('data: a\n\ndata: b\n\ndata: c\n\n');
    const batches: string[][] = [];
    for await (const batch of readSseBatches(body, { idleMs: IDLE_MS })) batches.push(batch.map((e) => e.data));
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('reassembles events split across chunks, even inside a field', async () => {
    const body = new PassThrough();
    const reading = readAll(body);
    body.write('data: hel');
    body.write('lo\n');
    body.write('\ndata: wor');
    body.write('ld\n\ndata: [DONE]\n\n');
    body.end();
    expect(await reading).toEqual({ data: ['hello', 'world', '[DONE]'] });
  });

  it('decodes a multi-byte character split between chunks', async () => {
    const body = new PassThrough();
    const reading = readAll(body);
    const bytes = Buffer.from('data: café\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    body.write(bytes.subarray(0, cut));
    body.end(bytes.subarray(cut));
    expect(await reading).toEqual({ data: ['café'] });
  });

  it('a stream that only pings after its first event stalls with an idle timeout', async () => {
    const body = new PassThrough();
    const reading = readAll(body, 100);
    body.write('data: first\n\n');
    const stop = keepWriting(body, ': ping\n\n', 10);
    try {
      // 50 idle budgets: a reader that counted pings as progress would never stall.
      const result = await Promise.race([reading, wait(5_000).then(() => ({ data: ['first'], error: 'no stall within 5 s' }))]);
      expect(result.data).toEqual(['first']);
      expect(result.error).toBeInstanceOf(StreamTimeoutError);
      expect((result.error as StreamTimeoutError).phase).toBe('idle');
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
    body.end();
    const result = await reading;
    expect(result.error).toBeUndefined();
    expect(result.data.length).toBeGreaterThan(5);
  });

  it('arms no timer before the first data event: a long silence and pings before it are not a stall', async () => {
    const body = new PassThrough();
    const reading = readAll(body, 50);
    const stop = keepWriting(body, ': ping\n\n', 10);
    await wait(500); // ten idle budgets with nothing but pings
    stop();
    body.end('data: late\n\n');
    expect(await reading).toEqual({ data: ['late'] });
  });

  it('does not charge a slow consumer to the provider', async () => {
    const body = new PassThrough();
    body.write('data: 1\n\n');
    body.write('data: 2\n\n');
    body.write('data: 3\n\n');
    const seen: string[] = [];
    for await (const batch of readSseBatches(body, { idleMs: 50 })) {
      for (const event of batch) seen.push(event.data);
      await wait(300); // the client reads six idle budgets slower than the provider sends
      // The provider sends its last event as soon as the client has taken the first three: the silence
      // before it was all the client's.
      if (seen.at(-1) === '3') body.end('data: 4\n\n');
    }
    expect(seen).toEqual(['1', '2', '3', '4']);
  });

  it('drains the rest of a completed answer so the socket can be reused', async () => {
    const body = new PassThrough();
    body.write('data: answer\n\n');
    for await (const batch of readSseBatches(body, { idleMs: IDLE_MS, completed: () => true })) {
      expect(batch.map((e) => e.data)).toEqual(['answer']);
      break;
    }
    expect(body.destroyed).toBe(false);
    const ended = once(body, 'end');
    body.end('data: [DONE]\n\n');
    await ended;
    expect(body.readableEnded).toBe(true);
  });

  it('destroys the body of an abandoned answer (client gone mid-answer)', async () => {
    const body = new PassThrough();
    body.write('data: half\n\n');
    for await (const batch of readSseBatches(body, { idleMs: IDLE_MS, completed: () => false })) {
      expect(batch.map((e) => e.data)).toEqual(['half']);
      break;
    }
    expect(body.destroyed).toBe(true);
    expect(body.readableEnded).toBe(false);
  });

  it('destroys the body when the consumer stops and no completion check was given', async () => {
    const body = new PassThrough();
    body.write('data: half\n\n');
    for await (const _ of readSseBatches(body, { idleMs: IDLE_MS })) break;
    expect(body.destroyed).toBe(true);
  });
});
