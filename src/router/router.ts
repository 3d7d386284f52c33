/**
 * The router: resolves the model a client asked for to a route, walks the route's deployments in plan
 * order, and runs each attempt through a provider until one answers. It decides from `Outcome`s only: a
 * client error ends the request at once; a provider fault moves on to the next deployment. For a stream,
 * the answer is committed to the client only when the first content arrives, so a stream that fails
 * before that fails over invisibly.
 */
import type { ChatRequest, WireFormat } from '../core/chat-request.js';
import { KeelError, type AttemptSummary } from '../core/errors.js';
import { isFailoverable, type Outcome } from '../core/outcome.js';
import type { Deployment, Route, RuntimeConfig } from '../config/resolve-config.js';
import { providerFor, type AttemptResult, type StreamItem, type UpstreamFailure } from '../providers/index.js';
import { needsOf, unservableReason } from './capabilities.js';
import { swapModel } from './swap-model.js';

export interface DispatchInput {
  request: ChatRequest;
  clientFormat: WireFormat;
  /** The client's body as received, for pass-through to a same-format deployment. */
  rawBody?: Buffer;
  requestId: string;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** A per-request deadline (from a header), bounded by the route's. */
  timeoutMs?: number;
}

export interface AttemptRecord {
  requestId: string;
  route: string;
  deployment: string;
  outcome: Outcome;
  status?: number;
  latencyMs: number;
  message?: string;
  cancelled?: boolean;
}

export type DispatchAnswer =
  | { kind: 'json'; response: Extract<AttemptResult, { kind: 'json' }>['response']; raw?: Buffer }
  | { kind: 'stream'; items: AsyncGenerator<StreamItem, void, undefined> };

export interface DispatchResult {
  route: string;
  deployment: Deployment;
  attempts: AttemptRecord[];
  /** The client's bytes went upstream as they were, and the provider's bytes come back as they are. */
  passthrough: boolean;
  answer: DispatchAnswer;
  /** Releases the request's deadline timer; call when the response is finished. */
  done(): void;
}

export interface RouterOptions {
  onAttempt?: (record: AttemptRecord) => void;
}

export class Router {
  constructor(
    private readonly config: RuntimeConfig,
    private readonly options: RouterOptions = {},
  ) {}

  /** The names clients may put in `model`: routes first, then each deployment's own model name. */
  modelNames(): string[] {
    const names = new Set<string>(this.config.routes.keys());
    for (const d of this.config.deployments.values()) names.add(d.model);
    return [...names];
  }

  resolve(model: string): Route {
    const route = this.config.routes.get(model);
    if (route !== undefined) return route;
    for (const deployment of this.config.deployments.values()) {
      if (deployment.model === model || deployment.id === model) {
        return { name: model, strategy: 'priority', targets: [{ deployment, weight: 1 }], totalMs: deployment.timeouts.totalMs, timeoutOverrides: {}, maxAttemptsPerDeployment: undefined, retryBudgetRatio: undefined };
      }
    }
    throw new KeelError('model_not_found', `The model '${model}' does not exist. Known models: ${this.modelNames().join(', ')}.`, { param: 'model' });
  }

  async dispatch(input: DispatchInput): Promise<DispatchResult> {
    const route = this.resolve(input.request.model);
    const totalMs = Math.min(route.totalMs, input.timeoutMs ?? Number.POSITIVE_INFINITY);
    const deadline = new AbortController();
    const deadlineTimer = setTimeout(() => deadline.abort(new KeelError('deadline_exceeded', `The request did not complete within ${totalMs} ms.`)), totalMs);
    const signal = AbortSignal.any([input.signal, deadline.signal]);
    const startedAt = Date.now();
    const done = (): void => clearTimeout(deadlineTimer);
    const attempts: AttemptRecord[] = [];
    const needs = needsOf(input.request);
    const refusals: string[] = [];
    let lastFailure: UpstreamFailure | undefined;
    let minContextFailed: number | undefined;

    try {
      for (const { deployment } of route.targets) {
        const provider = providerFor(deployment.provider);
        const reason = unservableReason(deployment, provider.format, input.clientFormat, needs);
        if (reason !== undefined) {
          refusals.push(`${deployment.id}: ${reason}`);
          continue;
        }
        // After a context-length failure, only a deployment with a larger window is worth trying.
        if (minContextFailed !== undefined && (deployment.capabilities.contextWindow ?? 0) <= minContextFailed) continue;
        if (signal.aborted) break;

        const passthrough = provider.format === input.clientFormat && input.rawBody !== undefined;
        const remainingMs = totalMs - (Date.now() - startedAt);
        const ttftMs = Math.min(route.timeoutOverrides.ttftMs ?? deployment.timeouts.ttftMs, remainingMs);
        const idleMs = route.timeoutOverrides.idleMs ?? deployment.timeouts.idleMs;
        const attemptStart = Date.now();
        const result = await provider.send({
          deployment,
          request: input.request,
          ...(passthrough ? { passthroughBody: swapModel(input.rawBody!, deployment.model) } : {}),
          timeouts: { ttftMs, idleMs },
          signal,
          requestId: input.requestId,
        });
        const committed = result.kind === 'stream' ? await commitStream(result.items) : result;
        const record = (outcome: Outcome, failure?: UpstreamFailure): AttemptRecord => {
          const entry: AttemptRecord = { requestId: input.requestId, route: route.name, deployment: deployment.id, outcome, latencyMs: Date.now() - attemptStart };
          if (failure?.status !== undefined) entry.status = failure.status;
          if (failure !== undefined) entry.message = failure.message;
          if (failure?.cancelled === true) entry.cancelled = true;
          this.options.onAttempt?.(entry);
          return entry;
        };
        if (committed.kind === 'failure') {
          attempts.push(record(committed.failure.outcome, committed.failure));
          lastFailure = committed.failure;
          if (committed.failure.cancelled === true || !isFailoverable(committed.failure.outcome)) break;
          if (committed.failure.outcome === 'context_length') minContextFailed = deployment.capabilities.contextWindow ?? 0;
          continue;
        }
        if (committed.kind === 'json') {
          attempts.push(record('ok'));
          return { route: route.name, deployment, attempts, passthrough, answer: committed, done };
        }
        // A committed stream: its attempt is recorded when it ends, with how it ended.
        const attemptIndex = attempts.length;
        attempts.push({ requestId: input.requestId, route: route.name, deployment: deployment.id, outcome: 'ok', latencyMs: Date.now() - attemptStart });
        const items = observeEnd(committed.items, (failure) => {
          attempts[attemptIndex] = record(failure?.outcome ?? 'ok', failure);
        });
        return { route: route.name, deployment, attempts, passthrough, answer: { kind: 'stream', items }, done };
      }
    } catch (err) {
      done();
      throw err;
    }
    done();
    throw finalError(input.signal, deadline.signal, attempts, lastFailure, refusals);
  }
}

type Committed = Exclude<AttemptResult, { kind: 'stream' }> | { kind: 'stream'; items: AsyncGenerator<StreamItem, void, undefined> };

/** Items that show the client something: once one is sent, failover is no longer invisible. */
function showsContent(item: StreamItem): boolean {
  return item.kind === 'end' || (item.kind === 'data' && item.events.some((e) => e.type !== 'start' && e.type !== 'usage'));
}

async function commitStream(items: AsyncGenerator<StreamItem, void, undefined>): Promise<Committed> {
  const buffered: StreamItem[] = [];
  for (;;) {
    const next = await items.next();
    if (next.done === true) return { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended without an answer' } };
    const item = next.value;
    if (item.kind === 'failure') {
      await items.return(undefined);
      return { kind: 'failure', failure: item.failure };
    }
    buffered.push(item);
    if (showsContent(item)) break;
  }
  return {
    kind: 'stream',
    items: (async function* replay() {
      yield* buffered;
      yield* items;
    })(),
  };
}

/** Passes items through and reports how the stream ended (undefined = success) exactly once. */
async function* observeEnd(items: AsyncGenerator<StreamItem, void, undefined>, onEnd: (failure: UpstreamFailure | undefined) => void): AsyncGenerator<StreamItem, void, undefined> {
  let reported = false;
  try {
    for await (const item of items) {
      if (item.kind === 'end' || item.kind === 'failure') {
        reported = true;
        onEnd(item.kind === 'failure' ? item.failure : undefined);
      }
      yield item;
      if (item.kind !== 'data') return;
    }
  } finally {
    if (!reported) onEnd({ outcome: 'stream_cut', message: 'cancelled: the client went away', cancelled: true });
  }
}

function finalError(clientSignal: AbortSignal, deadlineSignal: AbortSignal, attempts: AttemptRecord[], last: UpstreamFailure | undefined, refusals: string[]): KeelError {
  const summary: AttemptSummary[] = attempts.map((a) => ({ deployment: a.deployment, outcome: a.outcome, latencyMs: a.latencyMs, ...(a.status === undefined ? {} : { status: a.status }) }));
  if (clientSignal.aborted) return new KeelError('client_closed', 'The client closed the connection.', { attempts: summary });
  if (last === undefined) {
    if (refusals.length > 0) {
      return new KeelError('unsupported_feature', `No deployment of this model can serve the request: ${refusals.join('; ')}.`, { attempts: summary });
    }
    if (deadlineSignal.aborted) return new KeelError('deadline_exceeded', 'The request deadline passed before any deployment answered.', { attempts: summary });
    return new KeelError('all_deployments_failed', 'No deployment was available for this model.', { attempts: summary, retryAfterS: 1 });
  }
  const upstream = { ...(last.providerType === undefined ? {} : { upstreamType: last.providerType }), ...(last.providerCode === undefined ? {} : { upstreamCode: last.providerCode }) };
  switch (last.outcome) {
    case 'bad_request':
    case 'auth':
      // The provider refused the request itself: the client sees the provider's status and reason.
      return new KeelError('upstream_client_error', last.message, { status: last.status ?? 400, attempts: summary, ...(last.param === undefined ? {} : { param: last.param }), ...upstream });
    case 'context_length':
      return new KeelError('context_length', last.message, { attempts: summary, ...upstream, param: last.param ?? 'messages' });
    case 'content_filter':
      return new KeelError('content_filter', last.message, { attempts: summary, ...upstream });
    default: {
      if (deadlineSignal.aborted) return new KeelError('deadline_exceeded', `The request deadline passed; last failure: ${last.message}`, { attempts: summary });
      const retryAfterS = Math.max(1, Math.ceil((last.retryAfterMs ?? 1000) / 1000));
      const tried = attempts.map((a) => `${a.deployment}: ${a.outcome}`).join(', ');
      return new KeelError('all_deployments_failed', `Every deployment failed (${tried}). Last error: ${last.message}`, { attempts: summary, retryAfterS });
    }
  }
}
