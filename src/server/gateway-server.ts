/**
 * The gateway's HTTP server (node:http: the request path is short and hot, and a framework would add
 * per-request work Keel does not need). It turns sockets into `handleApiRequest` calls and answers back:
 * request ids, body limits, client-disconnect cancellation, backpressure on streams, the access log,
 * `/healthz`, and a graceful drain on shutdown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeelError } from '../core/errors.js';
import { acceptRequestId } from '../core/request-id.js';
import type { RuntimeConfig } from '../config/resolve-config.js';
import type { ApiAnswer, ApiRequest } from '../api/api-request.js';
import { handleApiRequest, type HandleOptions } from '../api/handle-request.js';
import type { ResponseLog } from '../api/responses.js';
import { errorAnswer } from '../api/error-body.js';
import { Router, type RouterOptions } from '../router/router.js';
import type { Logger } from '../telemetry/logger.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { isAdminPath } from './admin/admin-api.js';
import { isConsolePath } from '../console/operator-console.js';
import type { GatewaySecurity } from './auth/gateway-security.js';
import { Abortable } from '../resilience/index.js';
import { readBody } from './read-body.js';
import { flattenHead, pullableFrames, pumpSse, writeSse, type SseFrame } from './sse-writer.js';

/**
 * A status page or readiness answer, or undefined (at once: every API request asks first) when the path is
 * not one; its headers are its own, as an ApiAnswer's.
 */
export type PageHandler = (method: string, path: string, draining: boolean) => Promise<{ status: number; headers: Record<string, string>; body: string }> | undefined;

export interface GatewayOptions {
  config: RuntimeConfig;
  logger: Logger;
  router?: RouterOptions;
  /** Virtual keys and the admin API, bound to the gateway's router (none: open, no admin API). */
  security?: (router: Router) => GatewaySecurity;
  /** Where Responses API answers are kept for `previous_response_id` (Keel's store); memory when unset. */
  responses?: ResponseLog;
}

export interface Gateway {
  readonly server: Server;
  readonly router: Router;
  /** Prometheus metrics, when `telemetry.metrics` is on. */
  readonly metrics: Metrics | undefined;
  /** The operator console, when an admin token is configured. */
  readonly console: GatewaySecurity['console'];
  /** Public pages served before the API (status page, readiness); undefined from the handler = not mine. */
  mountPages(handler: PageHandler): void;
  /** The bound URL, once listening. */
  url(): string;
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to the drain timeout), then closes. */
  close(): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { config, logger } = options;
  const router = new Router(config, options.router);
  const metrics = config.telemetry.metrics ? createMetrics(router, { deployments: config.deployments.keys() }) : undefined;
  const security = options.security?.(router);
  const limits = { maxJsonDepth: config.server.max_json_depth, maxMessages: config.server.max_messages, maxTools: config.server.max_tools };
  // The same for every request: made once, not spread together per request.
  const handleOptions: HandleOptions = { limits };
  if (security !== undefined) handleOptions.gate = security.gate;
  if (options.responses !== undefined) handleOptions.responses = options.responses;
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  let pages: PageHandler | undefined;

  const server = createServer(
    {
      // Slow clients: headers and then the whole request (not the answer) must arrive in time, or the
      // socket is closed with a 408; node checks these every `connectionsCheckingInterval`.
      headersTimeout: config.server.headers_timeout_ms,
      requestTimeout: config.server.request_timeout_ms,
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(config.server.headers_timeout_ms / 2)),
      maxHeaderSize: config.server.max_header_bytes,
      keepAliveTimeout: 65_000,
    },
    (req, res) => {
      void handle(req, res);
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = acceptRequestId(req.headers['x-request-id']);
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const client = new Abortable();
    res.once('close', () => {
      if (!res.writableFinished) client.abort(new KeelError('client_closed', 'The client closed the connection.'));
    });
    const trail: ApiRequest['trail'] = {};
    inFlight.add(res);
    try {
      if (path === '/healthz') {
        await write(res, requestId, { status: closing ? 503 : 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: closing ? 'draining' : 'ok' }) });
        return;
      }
      const page = pages?.(req.method ?? 'GET', path, closing);
      if (page !== undefined) {
        await write(res, requestId, await page);
        return;
      }
      if (path === '/metrics' && metrics !== undefined && req.method === 'GET') {
        await write(res, requestId, { status: 200, headers: { 'content-type': metrics.contentType }, body: await metrics.render() });
        return;
      }
      if (closing) {
        res.setHeader('connection', 'close');
        const answer = errorAnswer(new KeelError('unavailable', 'Keel is shutting down; retry on another instance.', { retryAfterS: 1 }), 'openai', requestId);
        await write(res, requestId, { status: answer.status, headers: { ...answer.headers, 'content-type': 'application/json' }, body: JSON.stringify(answer.body) });
        return;
      }
      if (security?.admin !== undefined && isAdminPath(path)) {
        const query = queryOf(url, queryAt);
        const readAdminBody = (): Promise<Buffer> => readBody(req, ADMIN_BODY_LIMIT_BYTES);
        await write(res, requestId, await security.admin.handle({ method: req.method ?? 'GET', path, query, headers: req.headers, readBody: readAdminBody }, requestId));
        return;
      }
      if (security?.console !== undefined && isConsolePath(path)) {
        const query = queryOf(url, queryAt);
        const forwarded = req.headers['x-forwarded-proto'];
        const secure = 'encrypted' in req.socket || (typeof forwarded === 'string' && forwarded.split(',')[0]!.trim() === 'https');
        const readConsoleBody = (): Promise<Buffer> => readBody(req, ADMIN_BODY_LIMIT_BYTES);
        await write(res, requestId, await security.console.handle({ method: req.method ?? 'GET', path, query, headers: req.headers, readBody: readConsoleBody, remoteAddress: req.socket.remoteAddress, secure }, requestId));
        return;
      }
      const handled = await handleApiRequest(
        {
          method: req.method ?? 'GET',
          path,
          headers: req.headers,
          requestId,
          signal: client,
          trail,
          readBody: () => readBody(req, config.server.body_limit_bytes),
        },
        router,
        handleOptions,
      );
      if (handled.internal !== undefined) logger.error({ err: handled.internal, requestId }, 'internal error');
      // A refused body may still be arriving: close the connection rather than read the rest.
      if (handled.errorCode === 'body_too_large') res.setHeader('connection', 'close');
      await write(res, requestId, handled.answer);
    } catch (err) {
      // Only a broken socket gets here (the handler turns every other failure into an answer).
      logger.warn({ err, requestId }, 'response aborted');
      res.destroy();
    } finally {
      inFlight.delete(res);
      // The access log's line is built only when it will be written (below `info` it is not).
      if (logger.isLevelEnabled('info')) logger.info({ requestId, method: req.method, path, status: res.statusCode, durationMs: Math.round((performance.now() - startedAt) * 10) / 10, ...trail }, 'request');
    }
  }

  return {
    server,
    router,
    metrics,
    console: security?.console,
    mountPages(handler) {
      pages = handler;
    },
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
      router.stop();
      await security?.close();
      metrics?.close();
    },
  };
}

// Admin bodies are small JSON (a key's settings) or a config file.
const ADMIN_BODY_LIMIT_BYTES = 1024 * 1024; // 1 MiB

/** The query string of `url`, whose `?` is at `queryAt` (-1: none): read only by the admin and console pages. */
function queryOf(url: string, queryAt: number): URLSearchParams {
  return new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
}

/** Writes an answer; a streamed body is written frame by frame, waiting for the socket to drain. */
async function write(res: ServerResponse, requestId: string, answer: ApiAnswer): Promise<void> {
  // Completed in place: an answer's headers are its own (see ApiAnswer), and a copy of a dozen headers
  // cost about 3 µs a request.
  const headers = answer.headers;
  headers['x-request-id'] = requestId;
  // A client that asked to close after this answer gets its socket closed: a keep-alive header (the
  // SSE headers carry one) would otherwise hold it open after the stream ends.
  const connection = res.req.headers.connection;
  if (connection !== undefined && /\bclose\b/i.test(connection)) delete headers['connection'];
  const body = answer.body;
  const whole = typeof body === 'string' || Buffer.isBuffer(body);
  // A whole body goes with its length: headers and body leave in one write, without chunked framing.
  if (whole && mayHaveBody(answer.status)) headers['content-length'] = String(Buffer.byteLength(body));
  if (whole) {
    try {
      res.writeHead(answer.status, headers);
      // `end` hands headers and body to the socket at once (node:http uncorks it): the request's
      // bookkeeping (`sent`) runs after the client's bytes left.
      res.end(body);
    } finally {
      answer.sent?.();
    }
    return;
  }
  try {
    res.writeHead(answer.status, headers);
  } catch (err) {
    // A head node refuses (a header value it will not send): the stream is closed unread, so its
    // dispatch (slot, deadline, upstream body) is let go, and the caller answers with the error.
    await (pullableFrames(body) ? body.return() : body[Symbol.asyncIterator]().return?.());
    throw err;
  }
  flattenHead(res); // a stream's head is kept as long as the stream
  try {
    // A stream pullable all the way down is written from callbacks (see pull-stream.ts): an open stream
    // then holds no promise between two tokens.
    if (pullableFrames(body)) await pumpSse(res, body);
    else await iterateFrames(res, body[Symbol.asyncIterator]());
  } finally {
    res.end();
  }
}

/** 204, 304 and 1xx answers carry no body, so no length either (RFC 9110 §8.6). */
const mayHaveBody = (status: number): boolean => status >= 200 && status !== 204 && status !== 304;

/** Writes the frames of a stream that is not pullable (see pull-stream.ts), awaiting each. */
async function iterateFrames(res: ServerResponse, frames: AsyncIterator<SseFrame>): Promise<void> {
  try {
    for (;;) {
      if (res.destroyed) break;
      const next = await frames.next();
      if (next.done === true) {
        // As pumpSse does: the client has its whole answer before the stream's cleanup settles.
        res.end();
        break;
      }
      const full = writeSse(res, next.value);
      if (full !== undefined) await full;
    }
  } finally {
    await frames.return?.();
  }
}
