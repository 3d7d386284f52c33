/**
 * What a client-surface handler receives for one request, and what it gives back, independent of the
 * transport: the node HTTP server and the in-process `fetch` of the library both build an `ApiRequest`
 * and deliver an `ApiAnswer`. The body comes as bytes (for pass-through) and as JSON; the signal aborts
 * when the client goes away.
 */
import type { ChatRequest, WireFormat } from '../core/chat-request.js';
import type { DispatchInput, DispatchResult } from '../router/router.js';
import type { Cancellation } from '../resilience/index.js';
import type { SseFrame } from '../server/sse-writer.js';
import type { Caller, Grant } from './request-gate.js';

export interface ApiRequest {
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  requestId: string;
  body: Buffer;
  json: unknown;
  /** Aborts when the client goes away. */
  signal: Cancellation;
  /** The authenticated caller (virtual key), when a gate checked one. */
  caller?: Caller;
  /** What the gate admitted the request on; the router settles it when the request ends. */
  grant?: Grant;
  /** Filled by the handler for the access log. */
  trail: { route?: string; deployment?: string; attempts?: number; outcome?: string; key?: string };
}

export interface ApiAnswer {
  status: number;
  /** This answer's own object, never shared with another answer: the gateway completes it in place. */
  headers: Record<string, string>;
  /** A whole body, or SSE frames to write as they come (with backpressure): text, or a passed-through stream's own bytes. */
  body: string | Buffer | AsyncIterable<SseFrame>;
  /**
   * Set on a whole answer only: its request's bookkeeping (the record for metrics, health and SLOs, and its
   * key's settlement), left for after the client's bytes were handed to the transport, so the client does
   * not wait for it. Whoever writes a whole answer calls it exactly once, in a `finally`. A stream's
   * bookkeeping runs when its frames end or are closed.
   */
  sent?: () => void;
}

/** A JSON answer; `headers` must be fresh (every caller builds them for this answer): they are completed in place. */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): ApiAnswer {
  headers['content-type'] = 'application/json';
  return { status, headers, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) };
}

/** Response headers naming who answered: clients and operators see failover without reading logs. */
export function trailHeaders(result: Pick<DispatchResult, 'route' | 'deployment' | 'attempts' | 'degraded'>): Record<string, string> {
  const attempts = result.attempts;
  const fallbacks = attempts.length < 2 ? 0 : new Set(attempts.map((a) => a.deployment)).size - 1;
  const headers: Record<string, string> = {
    'x-keel-route': result.route,
    'x-keel-attempts': String(result.attempts.length),
    'x-keel-fallbacks': String(Math.max(0, fallbacks)),
  };
  if (result.deployment !== undefined) {
    headers['x-keel-deployment'] = result.deployment.id;
    headers['x-keel-provider'] = result.deployment.provider;
    headers['x-keel-model'] = result.deployment.model;
    if (result.deployment.region !== undefined) headers['x-keel-region'] = result.deployment.region;
  }
  if (result.degraded !== undefined) headers['x-keel-degraded'] = result.degraded;
  return headers;
}

/**
 * What a surface dispatches: its canonical request in its client format, with the options the request
 * carries: a shorter deadline (`x-keel-timeout-ms`), a priority class
 * for load shedding (`x-keel-priority: interactive | batch`, capped by the caller's key), and the caller's
 * tenant (whose cached answers it may see).
 */
export function dispatchInput(req: ApiRequest, request: ChatRequest, clientFormat: WireFormat, rawBody: Buffer | undefined = req.body): DispatchInput {
  // Built whole here, not spread into the surface's own object: this is every request's path.
  const options: DispatchInput = { request, clientFormat, requestId: req.requestId, signal: req.signal };
  if (rawBody !== undefined) options.rawBody = rawBody;
  const timeout = req.headers['x-keel-timeout-ms'];
  const ms = typeof timeout === 'string' ? Number(timeout) : Number.NaN;
  if (Number.isInteger(ms) && ms > 0) options.timeoutMs = ms;
  const priority = req.headers['x-keel-priority'];
  if (priority === 'batch' || priority === 'interactive') options.priority = priority;
  // A key's class is a ceiling: a batch key's requests are batch whatever the header says.
  const keyPriority = req.caller?.priority;
  if (keyPriority === 'batch' || (keyPriority !== undefined && options.priority === undefined)) options.priority = keyPriority;
  if (req.caller?.tenant !== undefined) options.tenant = req.caller.tenant;
  if (req.grant !== undefined) options.settlement = req.grant;
  return options;
}

/** Records who answered, for the access log. */
export function noteResult(req: ApiRequest, result: DispatchResult): void {
  req.trail.route = result.route;
  req.trail.deployment = result.deployment?.id ?? `degraded:${result.degraded ?? ''}`;
  req.trail.attempts = result.attempts.length;
}
