/**
 * One JSON request forwarded as is (model swapped) to the first of several deployments that answers:
 * what the endpoints that are not chat share (`/v1/embeddings`, `/v1/messages/count_tokens`). Each
 * deployment gets one attempt through its circuit breaker; a transient failure moves on to the next,
 * a refusal of the request itself (a 400) is returned at once with the provider's reason, and when
 * every candidate failed the client gets the same error, attempts listed, as a chat request would.
 * Attempts are reported on the router's events, so health, breakers and incidents see these calls too,
 * with the tokens the answer says it used (embeddings: its input), and a virtual key's grant is settled
 * with the request's record as a chat request's is: its spend charged, its token estimate reconciled.
 */
import type { z } from 'zod';
import type { Deployment } from '../../config/resolve-config.js';
import type { WireFormat } from '../../core/chat-request.js';
import type { Usage } from '../../core/chat-response.js';
import { KeelError } from '../../core/errors.js';
import type { Outcome } from '../../core/outcome.js';
import { classifyNetworkFailure, StreamTimeoutError } from '../../providers/http/network-failure.js';
import { readBodyBuffer, readBodyText, sendUpstream } from '../../providers/http/upstream-request.js';
import type { UpstreamFailure } from '../../providers/index.js';
import { finalError } from '../../router/final-error.js';
import type { AttemptRecord, RequestRecord, Router } from '../../router/router.js';
import { signalOf } from '../../resilience/index.js';
import { swapModel } from '../../router/swap-model.js';
import type { ApiRequest } from '../api-request.js';

/** One upstream request, made for one deployment. */
export interface PreparedCall {
  /** Path under the deployment's base URL. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  classifyError(status: number, bodyText: string, headers: Record<string, string | string[] | undefined>, nowMs: number): UpstreamFailure;
}

/** `T`: a valid answer, as its schema reads it. */
export interface ForwardSpec<T = unknown> {
  route: string;
  /** In the order to try them. */
  candidates: Deployment[];
  /** The call for a deployment, or why the request cannot go there (a refusal, not a fault). */
  prepare(deployment: Deployment): PreparedCall | { failure: UpstreamFailure };
  /** What a valid answer looks like; anything else is the provider's fault. */
  answer: z.ZodType<T>;
  /** Deployments of the route that cannot serve this request at all, with why. */
  refusals?: string[];
  /** The client's API, for the request's record. */
  clientFormat: WireFormat;
  /** What a valid answer says it used; a free call (counting tokens) has no usage. */
  usageOf?: (answer: T) => Usage | undefined;
}

/** The client's body as is with only the model swapped: the call for a same-format deployment. */
export function passthroughCall(req: ApiRequest, deployment: Deployment, call: Omit<PreparedCall, 'body'>): PreparedCall {
  return { ...call, body: swapModel(req.body, deployment.model) };
}

/** The answer: its bytes as the provider sent them, and as its schema read them. */
export interface Forwarded<T = unknown> {
  deployment: Deployment;
  body: Buffer;
  answer: T;
  attempts: AttemptRecord[];
}

/** Outcomes that say nothing bad of the deployment and would fail the same anywhere: stop at once. */
const FINAL: ReadonlySet<Outcome> = new Set<Outcome>(['bad_request', 'auth', 'context_length', 'content_filter']);

export async function forwardJson<T>(req: ApiRequest, router: Router, spec: ForwardSpec<T>): Promise<Forwarded<T>> {
  const startedAtMs = Date.now();
  const attempts: AttemptRecord[] = [];
  try {
    const forwarded = await forwardAttempts(req, router, spec, attempts);
    settle(req, spec, startedAtMs, attempts, 'ok', forwarded.deployment.id);
    return forwarded;
  } catch (err) {
    settle(req, spec, startedAtMs, attempts, err instanceof KeelError ? err.code : 'internal', undefined);
    throw err;
  }
}

/** Tells the caller's grant, when a key admitted the request, what the request was and used. */
function settle(req: ApiRequest, spec: Pick<ForwardSpec, 'route' | 'clientFormat'>, startedAtMs: number, attempts: AttemptRecord[], outcome: RequestRecord['outcome'], deployment: string | undefined): void {
  req.grant?.settled({
    requestId: req.requestId,
    route: spec.route,
    tenant: req.caller?.tenant,
    priority: req.caller?.priority ?? 'interactive',
    clientFormat: spec.clientFormat,
    stream: false,
    startedAtMs,
    latencyMs: Date.now() - startedAtMs,
    outcome,
    degraded: undefined,
    deployment,
    attempts,
  });
}

async function forwardAttempts<T>(req: ApiRequest, router: Router, spec: ForwardSpec<T>, attempts: AttemptRecord[]): Promise<Forwarded<T>> {
  const skipped: string[] = [];
  let last: UpstreamFailure | undefined;
  for (const deployment of spec.candidates) {
    if (req.signal.aborted) break;
    const breaker = router.policies.breakers.get(deployment.id);
    const acquired = breaker.tryAcquire();
    if (!acquired.allowed) {
      skipped.push(`${deployment.id}: circuit open`);
      continue;
    }
    const startedAtMs = Date.now();
    const result = await attempt(req, deployment, spec);
    breaker.onResult(acquired.permit, result.failure?.outcome ?? 'ok');
    const record: AttemptRecord = {
      requestId: req.requestId, route: spec.route, deployment: deployment.id, provider: deployment.provider, model: deployment.model,
      outcome: result.failure?.outcome ?? 'ok', startedAtMs, latencyMs: Date.now() - startedAtMs, kind: attempts.length === 0 ? 'first' : 'failover',
    };
    if (result.failure?.status !== undefined) record.status = result.failure.status;
    if (result.failure !== undefined) record.message = result.failure.message;
    const usage = result.failure === undefined ? spec.usageOf?.(result.answer) : undefined;
    if (usage !== undefined) record.usage = usage;
    attempts.push(record);
    router.events.emit('attempt', record);
    if (result.failure === undefined) return { deployment, body: result.body, answer: result.answer, attempts };
    last = result.failure;
    if (FINAL.has(last.outcome)) break;
  }
  throw finalError({ clientAborted: req.signal.aborted, deadlineExpired: false, attempts, last, refusals: spec.refusals ?? [], skipped });
}

async function attempt<T>(req: ApiRequest, deployment: Deployment, spec: ForwardSpec<T>): Promise<{ body: Buffer; answer: T; failure?: undefined } | { failure: UpstreamFailure }> {
  const call = spec.prepare(deployment);
  if ('failure' in call) return call;
  // The whole answer must come within the deployment's first-token budget (these answers are small).
  const ttftMs = deployment.timeouts.ttftMs;
  const late = new AbortController();
  const timer = setTimeout(() => late.abort(new StreamTimeoutError('first_token', ttftMs)), ttftMs);
  const signal = AbortSignal.any([signalOf(req.signal), late.signal]);
  let body: Buffer;
  let status: number;
  try {
    const sent = await sendUpstream({
      deployment,
      path: call.path,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...call.headers },
      body: call.body,
      signal,
    });
    if (!sent.ok) return { failure: sent.failure };
    const res = sent.response;
    status = res.status;
    if (res.status >= 400) return { failure: call.classifyError(res.status, await readBodyText(res.body), res.headers, Date.now()) };
    try {
      body = await readBodyBuffer(res.body, deployment.timeouts.idleMs);
    } catch (err) {
      return { failure: classifyNetworkFailure(err, signal, 'body') };
    }
  } finally {
    clearTimeout(timer);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { failure: { outcome: 'server_error', message: 'the provider answered with invalid JSON', status } };
  }
  const checked = spec.answer.safeParse(json);
  if (!checked.success) return { failure: { outcome: 'server_error', message: `the provider's answer is not what ${call.path} returns`, status } };
  return { body, answer: checked.data };
}
