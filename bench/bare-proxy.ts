/**
 * The floor for any Node gateway: a pass-through proxy with no logic at all. node:http in front, one
 * undici Pool behind (sized and configured like Keel's per-deployment pool, so the comparison measures
 * Keel's logic, not a different pool), the request body read and forwarded, and the response status,
 * headers and body (JSON or SSE) piped back as they arrive. The body is read whole before it goes
 * upstream because every gateway must (Keel parses it); the response is never buffered.
 *
 * Run as its own process: `node bare-proxy.mjs --upstream http://127.0.0.1:PORT [--port PORT] [--connections N] [--lean]`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';

const POOL = {
  connections: 128, // Keel's default `max_connections` per deployment
  keepAliveTimeout: 60_000, // 60 s, as Keel's pool
  keepAliveMaxTimeout: 60_000,
  headersTimeout: 0, // no timeouts: the floor does nothing it does not have to
  bodyTimeout: 0,
} as const;

/** Per-connection headers (RFC 9110 §7.6.1) and the ones the HTTP stacks set themselves. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection', 'host', 'content-length']);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !NOT_FORWARDED.has(name)) out[name] = value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** The client's request as it goes upstream: its method, path and forwardable headers, and the body read. */
function upstreamRequest(req: IncomingMessage, body: Buffer): Dispatcher.RequestOptions {
  return {
    method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
    path: req.url ?? '/',
    headers: forwardable(req.headers) as Record<string, string>,
    body: body.length === 0 ? null : body,
  };
}

async function forward(pool: Pool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const client = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) client.abort();
  });
  const upstream = await pool.request({ ...upstreamRequest(req, body), signal: client.signal });
  // Repeated upstream headers arrive as arrays; node:http writes those back as repeated lines.
  res.writeHead(upstream.statusCode, forwardable(upstream.headers));
  await pipeline(upstream.body, res);
}

/**
 * The same pass-through without `pipeline` or an `AbortController`: the body's chunks are written as they
 * come, with backpressure by hand, and a client that leaves has the upstream body destroyed (or, when it
 * leaves before the upstream answered, the answer's body destroyed as it arrives). Node's `pipeline`
 * aborts an AbortController of its own when it finishes, and the abort makes a `DOMException` (a stack
 * trace) per request; the request's own controller is another. A leaner floor, shown beside the first.
 */
async function forwardLean(pool: Pool, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  let answer: Readable | undefined;
  // A destroyed body emits its abort as an error: heard here, or it would crash the process.
  const drop = (stream: Readable): void => {
    stream.on('error', () => undefined);
    stream.destroy();
  };
  res.once('close', () => {
    if (!res.writableFinished && answer !== undefined) drop(answer);
  });
  const upstream = await pool.request(upstreamRequest(req, body));
  answer = upstream.body;
  if (res.destroyed) {
    drop(answer);
    return;
  }
  res.writeHead(upstream.statusCode, forwardable(upstream.headers));
  await new Promise<void>((resolve, reject) => {
    const source = upstream.body;
    source.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) {
        source.pause();
        res.once('drain', () => source.resume());
      }
    });
    source.once('end', () => {
      res.end();
      resolve();
    });
    source.once('error', reject);
  });
}

export async function startBareProxy(upstreamOrigin: string, port = 0, connections: number = POOL.connections, lean = false): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const host = '127.0.0.1'; // loopback only
  const pool = new Pool(upstreamOrigin, { ...POOL, connections });
  const handle = lean ? forwardLean : forward;
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(pool, req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"bad gateway","type":"proxy_error"}}');
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.destroy();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' }, connections: { type: 'string' }, lean: { type: 'boolean', default: false } } });
  if (values.upstream === undefined) throw new Error('usage: bare-proxy --upstream http://127.0.0.1:PORT [--port PORT] [--connections N] [--lean]');
  const proxy = await startBareProxy(values.upstream, Number(values.port), values.connections === undefined ? undefined : Number(values.connections), values.lean === true);
  process.stdout.write(`${JSON.stringify({ url: proxy.url })}\n`);
  const stop = (): void => {
    void proxy.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
