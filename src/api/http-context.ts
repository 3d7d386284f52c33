/**
 * What a client-surface handler receives for one request, already parsed by the server: the body as bytes
 * (for pass-through) and as JSON, the request id, and a signal that aborts when the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DispatchInput, DispatchResult } from '../router/router.js';

export interface HttpContext {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  body: Buffer;
  json: unknown;
  signal: AbortSignal;
  /** Filled by the handler for the access log. */
  trail: { route?: string; deployment?: string; attempts?: number; outcome?: string };
}

/** Response headers naming who answered: clients and operators see failover without reading logs. */
export function trailHeaders(result: DispatchResult): Record<string, string> {
  const fallbacks = new Set(result.attempts.map((a) => a.deployment)).size - 1;
  const headers: Record<string, string> = {
    'x-keel-route': result.route,
    'x-keel-attempts': String(result.attempts.length),
    'x-keel-fallbacks': String(Math.max(0, fallbacks)),
  };
  if (result.deployment !== undefined) {
    headers['x-keel-deployment'] = result.deployment.id;
    headers['x-keel-provider'] = result.deployment.provider;
    headers['x-keel-model'] = result.deployment.model;
  }
  if (result.degraded !== undefined) headers['x-keel-degraded'] = result.degraded;
  return headers;
}

/** A per-request deadline from the `x-keel-timeout-ms` header, when sane. */
export function requestTimeoutMs(ctx: HttpContext): number | undefined {
  const value = ctx.req.headers['x-keel-timeout-ms'];
  const ms = typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}

/**
 * The dispatch options a request's headers carry: a shorter deadline (`x-keel-timeout-ms`) and a
 * priority class for load shedding (`x-keel-priority: interactive | batch`).
 */
export function dispatchOptions(ctx: HttpContext): Pick<DispatchInput, 'timeoutMs' | 'priority'> {
  const options: Pick<DispatchInput, 'timeoutMs' | 'priority'> = {};
  const timeoutMs = requestTimeoutMs(ctx);
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  const priority = ctx.req.headers['x-keel-priority'];
  if (priority === 'batch' || priority === 'interactive') options.priority = priority;
  return options;
}
