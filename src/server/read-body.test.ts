import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KeelError } from '../core/errors.js';
import { readBody } from './read-body.js';

const LIMIT = 64 * 1024;

/** A real server whose handler reads the body with `readBody` and answers the way the gateway does. */
async function serve(onRead: (read: Promise<Buffer>, req: IncomingMessage) => void = () => undefined): Promise<{ server: Server; port: number }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const read = readBody(req, LIMIT);
    onRead(read, req);
    read.then(
      (body) => res.end(`${body.length}:${body.toString('utf8').slice(0, 20)}`),
      (err: unknown) => {
        const code = err instanceof KeelError ? err.code : 'failed';
        res.writeHead(code === 'body_too_large' ? 413 : 400, { connection: 'close' }).end(code);
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

let open: Server | undefined;
afterEach(async () => {
  open?.closeAllConnections();
  await new Promise((r) => open?.close(r) ?? r(undefined));
  open = undefined;
});

/** Sends `chunks` as a chunked body, one write each; resolves with the answer (or the error that ended it). */
function send(port: number, chunks: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('readBody', () => {
  it('reads a body sent in many chunks, byte for byte', async () => {
    const { server, port } = await serve();
    open = server;
    const parts = ['{"model":', '"x","messages":', '[]}'].map((p) => Buffer.from(p));
    expect(await send(port, parts)).toEqual({ status: 200, body: '27:{"model":"x","messag' });
  });

  it('refuses a declared length over the limit before reading a byte', async () => {
    let read: Promise<Buffer> | undefined;
    const { server, port } = await serve((r) => (read = r));
    open = server;
    const answer = await send(port, [Buffer.alloc(10)], { 'content-length': String(LIMIT + 1) });
    await expect(read).rejects.toMatchObject({ code: 'body_too_large' });
    // The server answered 413 (or closed before the client finished sending): never a 200.
    expect('status' in answer ? answer.status : 413).toBe(413);
  });

  it('refuses a chunked body once it grows past the limit, answers 413, and reads no further', async () => {
    let request: IncomingMessage | undefined;
    const { server, port } = await serve((_r, req) => (request = req));
    open = server;
    const answer = await send(port, [Buffer.alloc(LIMIT / 2), Buffer.alloc(LIMIT / 2), Buffer.alloc(LIMIT / 2)]);
    expect(answer).toEqual({ status: 413, body: 'body_too_large' });
    expect(request!.readableEnded).toBe(false); // the rest was left unread, and the connection closed
  });

  it('rejects, rather than hangs, when the client leaves mid-body', async () => {
    let read: Promise<Buffer> | undefined;
    const { server, port } = await serve((r) => (read = r));
    open = server;
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/' });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(100));
    while (read === undefined) await new Promise((r) => setTimeout(r, 5));
    req.destroy();
    await expect(read).rejects.toThrow();
  });
});
