/**
 * The gateway's HTTP server (node:http: the request path is short and hot, and a framework would add
 * per-request work Keel does not need). It owns what every endpoint shares: request ids, body limits,
 * content types, JSON parsing, error bodies in the caller's format, client-disconnect cancellation, the
 * access log, and a graceful drain on shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WireFormat } from '../core/chat-request.js';
import { KeelError } from '../core/errors.js';
import { acceptRequestId } from '../core/request-id.js';
import type { RuntimeConfig } from '../config/resolve-config.js';
import { errorAnswer, toKeelError } from '../api/error-body.js';
import type { HttpContext } from '../api/http-context.js';
import { handleMessages } from '../api/anthropic.js';
import { handleChatCompletions, handleListModels } from '../api/openai.js';
import { Router, type RouterOptions } from '../router/router.js';
import type { Logger } from '../telemetry/logger.js';
import { isJsonContentType, parseJsonBody, readBody } from './read-body.js';

interface Endpoint {
  method: 'GET' | 'POST';
  /** The client API whose error format this endpoint answers in. */
  format: WireFormat;
  /** POST endpoints get their JSON body read and parsed before the handler runs. */
  handle: (ctx: HttpContext) => Promise<void> | void;
}

export interface GatewayOptions {
  config: RuntimeConfig;
  logger: Logger;
  router?: RouterOptions;
}

export interface Gateway {
  readonly server: Server;
  readonly router: Router;
  /** The bound URL, once listening. */
  url(): string;
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to the drain timeout), then closes. */
  close(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config, logger } = options;
  const router = new Router(config, options.router);
  const endpoints = new Map<string, Endpoint>([
    ['/v1/chat/completions', { method: 'POST', format: 'openai', handle: (ctx) => handleChatCompletions(ctx, router) }],
    ['/chat/completions', { method: 'POST', format: 'openai', handle: (ctx) => handleChatCompletions(ctx, router) }],
    ['/v1/models', { method: 'GET', format: 'openai', handle: (ctx) => handleListModels(ctx, router) }],
    ['/v1/messages', { method: 'POST', format: 'anthropic', handle: (ctx) => handleMessages(ctx, router) }],
  ]);
  const inFlight = new Set<ServerResponse>();
  let closing = false;

  const server = createServer({ requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 65_000 }, (req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = acceptRequestId(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0]!;
    const endpoint = endpoints.get(path);
    const format: WireFormat = endpoint?.format ?? 'openai';
    const client = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) client.abort(new KeelError('client_closed', 'The client closed the connection.'));
    });
    const ctx: HttpContext = { req, res, requestId, body: Buffer.alloc(0), json: undefined, signal: client.signal, trail: {} };
    inFlight.add(res);
    try {
      if (path === '/healthz') {
        res.writeHead(closing ? 503 : 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: closing ? 'draining' : 'ok' }));
        return;
      }
      if (closing) {
        res.setHeader('connection', 'close');
        throw new KeelError('unavailable', 'Keel is shutting down; retry on another instance.', { retryAfterS: 1 });
      }
      if (endpoint === undefined) throw new KeelError('not_found', `Unknown path: ${req.method ?? 'GET'} ${path}.`);
      if (req.method !== endpoint.method) {
        res.setHeader('allow', endpoint.method);
        throw new KeelError('method_not_allowed', `Method ${req.method ?? ''} is not allowed on ${path}; use ${endpoint.method}.`);
      }
      if (endpoint.method === 'POST') {
        if (!isJsonContentType(req.headers['content-type'])) {
          throw new KeelError('unsupported_media_type', `Expected Content-Type: application/json, got ${req.headers['content-type'] ?? 'none'}.`);
        }
        ctx.body = await readBody(req, config.server.body_limit_bytes);
        ctx.json = parseJsonBody(ctx.body);
      }
      await endpoint.handle(ctx);
    } catch (err) {
      writeError(ctx, err, format);
    } finally {
      inFlight.delete(res);
      logAccess(ctx, path, startedAt);
    }
  }

  function writeError(ctx: HttpContext, err: unknown, format: WireFormat): void {
    const error = toKeelError(err);
    if (error.code === 'internal') logger.error({ err: error.cause, requestId: ctx.requestId }, 'internal error');
    const { res } = ctx;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const answer = errorAnswer(error, format, ctx.requestId);
    ctx.trail.outcome = error.code;
    // A refused body may still be arriving: close the connection rather than read the rest.
    if (error.code === 'body_too_large') res.setHeader('connection', 'close');
    res.writeHead(answer.status, { ...answer.headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  function logAccess(ctx: HttpContext, path: string, startedAt: number): void {
    logger.info(
      {
        requestId: ctx.requestId,
        method: ctx.req.method,
        path,
        status: ctx.res.statusCode,
        durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
        ...ctx.trail,
      },
      'request',
    );
  }

  return {
    server,
    router,
    url() {
      const address = server.address() as AddressInfo | null;
      if (address === null) throw new Error('the gateway is not listening');
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}`;
    },
    listen(port = config.server.port, host = config.server.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(this.url());
        });
      });
    },
    async close() {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + config.server.drain_timeout_ms;
      while (inFlight.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        server.closeIdleConnections();
      }
      server.closeAllConnections();
      await stopped;
    },
  };
}
