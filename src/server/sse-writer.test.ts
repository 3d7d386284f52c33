/**
 * `pumpSse` against a real HTTP server and client: frames go out as the source has them, the source is
 * not pulled while the client's socket is full, and however the stream ends (its end, the client
 * leaving, a pull that throws) the source is closed exactly once. `flattenHead` keeps a response's head
 * as it was while letting a long-lived response hold it as one string.
 */
import { once } from 'node:events';
import { createServer, IncomingMessage as NodeIncomingMessage, request, ServerResponse as NodeServerResponse, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { WAIT } from '../core/pull-stream.js';
import { flattenHead, pumpSse, type PullableFrames } from './sse-writer.js';

/** A source whose frames are handed in by the test (`add`, `end`), or made on demand (`endless`). */
class Source implements PullableFrames {
  readonly pullable = true;
  pulls = 0;
  closes = 0;
  private queue: string[] = [];
  private finished = false;
  private wake: (() => void) | undefined;
  constructor(
    private readonly endless?: string,
    private readonly failAt?: number,
    /** `return()` settles only when this does (a stream whose cleanup is slow). */
    private readonly closing?: Promise<void>,
  ) {}
  add(frame: string): void {
    this.queue.push(frame);
    this.wake?.();
  }
  end(): void {
    this.finished = true;
    this.wake?.();
  }
  pull(): string | typeof WAIT | undefined {
    if (this.failAt !== undefined && this.pulls === this.failAt) throw new Error('decoder broke');
    const frame = this.endless ?? this.queue.shift();
    if (frame === undefined) return this.finished ? undefined : WAIT;
    this.pulls += 1;
    return frame;
  }
  onReady(wake: (() => void) | undefined): void {
    this.wake = wake;
  }
  async return(): Promise<unknown> {
    this.closes += 1;
    await this.closing;
    return undefined;
  }
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server that pumps `source` into every response; `done` settles as the pump does. */
async function serve(source: Source): Promise<{ url: string; done: Promise<unknown> }> {
  let settle!: (outcome: unknown) => void;
  const done = new Promise((resolve) => (settle = resolve));
  server = createServer((_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    pumpSse(res, source).then(
      () => settle('resolved'),
      (err: Error) => settle(`rejected: ${err.message}`),
    ).finally(() => res.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, done };
}

function get(url: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => request(url, resolve).on('error', reject).end());
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pumpSse', () => {
  it('writes each frame when the source has it, and closes the source once at its end', async () => {
    const source = new Source();
    const { url, done } = await serve(source);
    const res = await get(url);
    let body = '';
    res.on('data', (chunk: Buffer) => (body += chunk.toString()));
    source.add('data: 1\n\n');
    await wait(20);
    expect(body).toBe('data: 1\n\n');
    source.add('data: 2\n\n');
    source.add('data: 3\n\n');
    source.end();
    await once(res, 'end');
    expect(body).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    expect(await done).toBe('resolved');
    expect(source.closes).toBe(1);
  });

  it('ends the response with its last frame, without waiting for the source to close', async () => {
    let closed!: () => void;
    const source = new Source(undefined, undefined, new Promise<void>((resolve) => (closed = resolve)));
    const { url, done } = await serve(source);
    const res = await get(url);
    let body = '';
    res.on('data', (chunk: Buffer) => (body += chunk.toString()));
    source.add('data: 1\n\n');
    source.add('data: [DONE]\n\n');
    source.end();
    const ended = await Promise.race([once(res, 'end').then(() => 'ended'), wait(3_000).then(() => 'still open')]);
    expect(ended).toBe('ended');
    expect(body).toBe('data: 1\n\ndata: [DONE]\n\n');
    expect(source.closes).toBe(1);
    closed();
    expect(await done).toBe('resolved');
  });

  it('ends the response at a last frame the source flags, before closing the source and without pulling it again', async () => {
    const log: string[] = [];
    let response: ServerResponse | undefined;
    const source = new (class extends Source {
      ended = false;
      override pull(): string | typeof WAIT | undefined {
        log.push('pull');
        const frame = super.pull();
        if (frame === 'data: [DONE]\n\n') this.ended = true;
        return frame;
      }
      override return(): Promise<unknown> {
        log.push(response?.writableEnded === true ? 'closed after the end' : 'closed before the end');
        return super.return();
      }
    })();
    const { url, done } = await serve(source);
    server!.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => (response = res));
    const res = await get(url);
    let body = '';
    res.on('data', (chunk: Buffer) => (body += chunk.toString()));
    source.add('data: 1\n\n');
    source.add('data: [DONE]\n\n');
    // The source never says it has no more: only its flag can end the response.
    const ended = await Promise.race([once(res, 'end').then(() => 'ended'), wait(3_000).then(() => 'still open')]);
    expect(ended).toBe('ended');
    expect(body).toBe('data: 1\n\ndata: [DONE]\n\n');
    expect(await done).toBe('resolved');
    // The last pull gave the last frame; the source was closed once, after the response had ended.
    expect(log.slice(-2)).toEqual(['pull', 'closed after the end']);
    expect(source.closes).toBe(1);
  });

  it('stops pulling while the client reads nothing, and goes on when it reads again', async () => {
    const frame = `data: ${'x'.repeat(64 * 1024)}\n\n`;
    const source = new Source(frame);
    const { url } = await serve(source);
    const res = await get(url);
    res.pause();
    // The socket's buffers fill, then nothing more is pulled (waited for, however slow the machine).
    let pulledWhilePaused = -1;
    for (let i = 0; i < 50 && source.pulls !== pulledWhilePaused; i++) {
      pulledWhilePaused = source.pulls;
      await wait(200);
    }
    expect(source.pulls).toBe(pulledWhilePaused);
    // What was pulled is what the buffers hold: the endless source was not drained into memory.
    expect(pulledWhilePaused * frame.length).toBeLessThan(32 * 1024 * 1024);
    res.resume();
    await wait(300);
    expect(source.pulls).toBeGreaterThan(pulledWhilePaused);
    res.destroy();
  });

  it('closes the source when the client leaves mid-stream', async () => {
    const source = new Source();
    const { url, done } = await serve(source);
    const res = await get(url);
    source.add('data: 1\n\n');
    await once(res, 'data');
    res.destroy();
    expect(await done).toBe('resolved');
    expect(source.closes).toBe(1);
  });

  it('closes the source, then rejects, when a pull throws', async () => {
    const source = new Source('data: x\n\n', 3);
    const { url, done } = await serve(source);
    const res = await get(url);
    res.resume();
    expect(await done).toBe('rejected: decoder broke');
    expect(source.closes).toBe(1);
  });
});

describe('flattenHead', () => {
  /** A response's head as node:http builds it for a stream's fifteen headers, each response's values its own. */
  function builtHead(i: number): ServerResponse {
    const res = new NodeServerResponse(new NodeIncomingMessage(new Socket()));
    const headers: Record<string, string> = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
    for (let h = 0; h < 13; h++) headers[`x-header-${h}`] = `value-${i}-${h}`;
    res.writeHead(200, headers);
    return res;
  }
  const headOf = (res: ServerResponse): string => (res as unknown as { _header: string })._header;

  /** Heap bytes held per head, over `count` heads of responses that are themselves let go. */
  function bytesPerHead(count: number, flatten: boolean): number {
    const gc = runInNewContext('gc') as () => void;
    const heads: string[] = [];
    gc();
    const before = getHeapStatistics().used_heap_size;
    for (let i = 0; i < count; i++) {
      const res = builtHead(i);
      if (flatten) flattenHead(res);
      heads.push(headOf(res));
    }
    gc();
    const held = (getHeapStatistics().used_heap_size - before) / count;
    expect(heads).toHaveLength(count);
    return held;
  }

  it('keeps the head as it was, byte for byte', () => {
    const res = builtHead(1);
    const before = Buffer.from(headOf(res), 'latin1').toString('latin1'); // a copy, not the same string
    flattenHead(res);
    expect(headOf(res)).toBe(before);
    expect(headOf(res)).toContain('x-header-12: value-1-12\r\n');
  });

  it('lets a long-lived response hold its head as one string, not the rope node built', () => {
    setFlagsFromString('--expose-gc');
    const rope = bytesPerHead(4_000, false);
    const flat = bytesPerHead(4_000, true);
    // About 2.7 KB against 0.5 KB per head here (Node 20).
    expect(flat).toBeLessThan(rope / 2);
  });

  it('does nothing to a response whose head is not built yet', () => {
    const res = new NodeServerResponse(new NodeIncomingMessage(new Socket()));
    expect(() => flattenHead(res)).not.toThrow();
    expect(res.headersSent).toBe(false);
  });
});
