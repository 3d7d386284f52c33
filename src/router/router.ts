/**
 * The router: resolves the model a client asked for to a route, plans the order of its deployments, and
 * runs attempts through the resilience policies until one answers. Per deployment: skip it if it cannot
 * serve the request or its breaker is open or the adaptive throttle sheds the call; otherwise attempt,
 * retry transient failures with backoff (honouring Retry-After) while the retry budget allows, and fail
 * over on the rest. One deadline bounds everything. It decides from `Outcome`s only: a client error ends
 * the request at once. When every breaker of a route is open, the least recently failed deployment still
 * gets one last-resort attempt rather than failing without trying.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { ChatRequest } from '../core/chat-request.js';
import { KeelError, type ErrorCode } from '../core/errors.js';
import type { Outcome } from '../core/outcome.js';
import type { Deployment, Route, RuntimeConfig } from '../config/resolve-config.js';
import { deploymentFormatFor, providerFor, type UpstreamFailure } from '../providers/index.js';
import type { Usage } from '../core/chat-response.js';
import {
  AdmissionRejected,
  Deadline,
  TypedEmitter,
  RESILIENCE_DEFAULTS,
  decideRetry,
} from '../resilience/index.js';
import { needsOf, type RequestNeeds } from './capabilities.js';
import { finalError, type FailureContext } from './final-error.js';
import { hedge } from './hedge.js';
import { admitDeployment, type Admitted } from './admission.js';
import { planDeployments } from './plan.js';
import { createPolicies, type RouterPolicies } from './policies.js';
import { DegradedAnswers, replayResponse } from './degraded-answer.js';
import type { AttemptRecord, DispatchAnswer, DispatchInput, DispatchResult, RouterEvents, RouterOptions } from './router-types.js';
import { commitStream, observeEnd } from './stream-commit.js';
import { continueOnFailure } from './stream-continuation.js';
import { swapModel } from './swap-model.js';

export type { AttemptRecord, DispatchAnswer, DispatchInput, DispatchResult, RequestRecord, RouterEvents, RouterOptions } from './router-types.js';

/** What one request carries from deployment to deployment. */
interface Dispatch extends Omit<FailureContext, 'clientAborted' | 'deadlineExpired'> {
  input: DispatchInput;
  route: Route;
  deadline: Deadline;
  needs: RequestNeeds;
  /** After a context-length failure, only a deployment with a larger window is worth trying. */
  minContextFailed: number | undefined;
  /** Releases the admission slot and the deadline timer, and reports the request; idempotent. */
  finish: (errorCode?: ErrorCode) => void;
  degraded?: 'cache' | 'static';
}

/** Failures a degraded answer may cover: the providers' fault, never the client's. */
const DEGRADABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['all_deployments_failed', 'deadline_exceeded', 'rate_limited']);


type DeploymentVerdict = { kind: 'answered'; result: DispatchResult } | { kind: 'next' } | { kind: 'stop' };

export class Router {
  policies: RouterPolicies;
  /** Attempts, finished requests and breaker changes, for telemetry, health and incidents. */
  readonly events = new TypedEmitter<RouterEvents>();
  private readonly degraded: DegradedAnswers;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(
    private config: RuntimeConfig,
    options: RouterOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.degraded = new DegradedAnswers(this.clock, options.answerCache);
    this.policies = this.newPolicies();
    if (options.onAttempt !== undefined) this.events.on('attempt', options.onAttempt);
  }

  private newPolicies(): RouterPolicies {
    const policies = createPolicies(this.config.resilience, this.clock, this.random);
    policies.breakers.on('stateChange', (event) => this.events.emit('breaker', event));
    return policies;
  }

  /**
   * Swaps the deployments and routes (a config reload). Requests in flight finish on what they started
   * with; breakers, budgets and latency figures carry over for deployment ids that remain.
   */
  reload(config: RuntimeConfig): void {
    this.config = config;
  }

  /** Forgets every breaker, budget, throttle and latency figure (tests, and an operator's reset). */
  resetPolicies(): void {
    this.policies = this.newPolicies();
  }

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
        return {
          name: model,
          strategy: 'priority',
          targets: [{ deployment, weight: 1 }],
          totalMs: deployment.timeouts.totalMs,
          timeoutOverrides: {},
          degraded: {},
          hedge: undefined,
          retry: { maxAttemptsPerDeployment: undefined, backoffBaseMs: undefined, backoffCapMs: undefined, maxRetryAfterMs: undefined },
        };
      }
    }
    throw new KeelError('model_not_found', `The model '${model}' does not exist. Known models: ${this.modelNames().join(', ')}.`, { param: 'model' });
  }

  async dispatch(input: DispatchInput): Promise<DispatchResult> {
    const route = this.resolve(input.request.model);
    const budgetMs = Math.min(route.totalMs, input.timeoutMs ?? Number.POSITIVE_INFINITY);
    const deadline = new Deadline({
      budgetMs,
      clock: this.clock,
      parentSignal: input.signal,
      timeoutReason: () => new KeelError('deadline_exceeded', `The request did not complete within ${budgetMs} ms.`),
    });
    let releaseAdmission: () => void;
    try {
      releaseAdmission = await this.policies.admission.acquire(input.priority ?? 'interactive', deadline.signal, deadline.remainingMs());
    } catch (err) {
      deadline.dispose();
      const error =
        err instanceof AdmissionRejected && err.reason !== 'aborted'
          ? new KeelError('rate_limited', `Keel is over capacity and shed this ${input.priority ?? 'interactive'} request (${err.reason.replace('_', ' ')}); retry shortly.`, { retryAfterS: 1 })
          : finalError({ attempts: [], last: undefined, refusals: [], skipped: [], clientAborted: input.signal.aborted, deadlineExpired: deadline.expired });
      // A shed request is still a request: telemetry, SLOs and drills must count it.
      this.emitRequest({ input, route, attempts: [] }, deadline.startedAtMs, error.code);
      throw error;
    }
    const startedAtMs = deadline.startedAtMs;
    let finished = false;
    const finish = (errorCode?: ErrorCode): void => {
      if (finished) return;
      finished = true;
      releaseAdmission();
      deadline.dispose();
      this.emitRequest(d, startedAtMs, errorCode);
    };
    const d: Dispatch = { input, route, deadline, finish, needs: needsOf(input.request), attempts: [], last: undefined, refusals: [], skipped: [], minContextFailed: undefined };
    const breakers = this.policies.breakers;
    const refusedByBreaker: string[] = [];
    const plan = planDeployments(route, this.policies.latency, this.random);
    let next = 0;
    /** The next deployment of the plan that can and may take an attempt now, with its slot and permit. */
    const nextAdmitted = (wanted: (deployment: Deployment) => boolean = () => true): Admitted | undefined => {
      while (next < plan.length && !deadline.signal.aborted) {
        const deployment = plan[next++]!;
        if (!wanted(deployment)) continue;
        const admitted = admitDeployment(this.policies, this.random, d, deployment, refusedByBreaker);
        if (admitted !== undefined) return admitted;
      }
      return undefined;
    };
    try {
      for (let admitted = nextAdmitted(); admitted !== undefined; admitted = nextAdmitted()) {
        const kind = d.attempts.length === 0 ? 'first' : 'failover';
        const verdict = route.hedge === undefined ? await this.tryDeployment(d, admitted, kind, deadline.signal) : await this.hedged(d, admitted, kind, () => nextAdmitted());
        if (verdict.kind === 'answered') return this.deliver(d, verdict.result, nextAdmitted);
        if (verdict.kind === 'stop') break;
      }
      // Every candidate's breaker was open: try the one that failed longest ago rather than nothing.
      if (d.attempts.length === 0 && refusedByBreaker.length > 0 && !deadline.signal.aborted) {
        const id = breakers.leastRecentlyFailed(refusedByBreaker);
        const deployment = id === undefined ? undefined : this.config.deployments.get(id);
        const limit = deployment === undefined ? undefined : this.policies.limitFor(deployment.id);
        if (deployment !== undefined && limit !== undefined && limit.tryAcquire()) {
          const permit = breakers.get(deployment.id).acquireLastResort();
          const verdict = await this.tryDeployment(d, { deployment, limit, permit }, 'last_resort', deadline.signal);
          if (verdict.kind === 'answered') return this.deliver(d, verdict.result, nextAdmitted);
        }
      }
    } catch (err) {
      finish('internal');
      throw err;
    }
    const error = finalError({ ...d, clientAborted: input.signal.aborted, deadlineExpired: deadline.expired });
    const degraded = DEGRADABLE.has(error.code) ? await this.degradedAnswer(d) : undefined;
    if (degraded !== undefined) return degraded;
    finish(error.code);
    throw error;
  }

  private emitRequest(d: Pick<Dispatch, 'input' | 'route' | 'attempts' | 'degraded'>, startedAtMs: number, errorCode: ErrorCode | undefined): void {
    const last = d.attempts.at(-1);
    const answered = errorCode === undefined && last?.outcome === 'ok' ? last : undefined;
    this.events.emit('request', {
      requestId: d.input.requestId,
      route: d.route.name,
      tenant: d.input.tenant,
      priority: d.input.priority ?? 'interactive',
      clientFormat: d.input.clientFormat,
      stream: d.input.request.stream,
      startedAtMs,
      latencyMs: this.clock.now() - startedAtMs,
      outcome: errorCode ?? (d.degraded !== undefined || answered !== undefined ? 'ok' : 'stream_interrupted'),
      degraded: d.degraded,
      deployment: answered?.deployment,
      attempts: [...d.attempts],
    });
  }

  /** A recent cached answer to the same question, else the route's static message, else nothing. */
  private async degradedAnswer(d: Dispatch): Promise<DispatchResult | undefined> {
    const found = await this.degraded.find(d.route, d.input.tenant, d.input.request).catch(() => undefined);
    if (found === undefined) return undefined;
    d.degraded = found.kind;
    const answer: DispatchAnswer = d.input.request.stream ? { kind: 'stream', items: replayResponse(found.response) } : { kind: 'json', response: found.response };
    return { route: d.route.name, deployment: undefined, degraded: found.kind, attempts: d.attempts, passthrough: false, answer, done: () => d.finish() };
  }

  /** Remembers successful answers of routes with a degraded-answer cache. */
  private remember(d: Dispatch, answer: DispatchAnswer): DispatchAnswer {
    if (answer.kind === 'json') {
      this.degraded.remember(d.route, d.input.tenant, d.input.request, answer.response);
      return answer;
    }
    return { kind: 'stream', items: this.degraded.rememberStream(d.route, d.input.tenant, d.input.request, answer.items) };
  }

  /**
   * The answer as the client gets it: a stream that breaks mid-answer may be finished by a deployment
   * that accepts a prefill (`capabilities.prefill`), and a route with a degraded-answer cache remembers it.
   */
  private deliver(d: Dispatch, result: DispatchResult, nextAdmitted: (wanted: (deployment: Deployment) => boolean) => Admitted | undefined): DispatchResult {
    const answer = result.answer;
    if (answer.kind === 'json') return { ...result, answer: this.remember(d, answer) };
    const items = continueOnFailure(answer.items, async (partialText) => {
      const admitted = nextAdmitted((deployment) => deployment.capabilities.prefill);
      if (admitted === undefined) return undefined;
      const request: ChatRequest = {
        ...d.input.request,
        messages: [...d.input.request.messages, { role: 'assistant', content: [{ type: 'text', text: partialText }] }],
        stream: true,
      };
      const verdict = await this.tryDeployment(d, admitted, 'failover', d.deadline.signal, request);
      return verdict.kind === 'answered' && verdict.result.answer.kind === 'stream' ? verdict.result.answer.items : undefined;
    });
    return { ...result, answer: this.remember(d, { kind: 'stream', items }) };
  }

  /** Tries `first`, and after the hedge delay also the next admitted deployment; the first answer wins. */
  private hedged(d: Dispatch, first: Admitted, kind: AttemptRecord['kind'], nextAdmitted: () => Admitted | undefined): Promise<DeploymentVerdict> {
    const { deadline, route } = d;
    const delayMs = route.hedge?.delayMs ?? this.policies.latency.p95Ms(first.deployment.id) ?? RESILIENCE_DEFAULTS.hedge.delayMs;
    return hedge<DeploymentVerdict>({
      delayMs,
      clock: this.clock,
      first: (signal) => this.tryDeployment(d, first, kind, AbortSignal.any([deadline.signal, signal])),
      second: (signal) => {
        // A hedge is an extra call: it spends the first deployment's retry budget, so it never doubles load.
        if (!this.policies.budget.tryAcquireRetry(first.deployment.id)) return undefined;
        const second = nextAdmitted();
        return second === undefined ? undefined : this.tryDeployment(d, second, 'hedge', AbortSignal.any([deadline.signal, signal]));
      },
      isAnswer: (v) => v.kind === 'answered',
      isStop: (v) => v.kind === 'stop',
      discard: (v) => {
        if (v.kind === 'answered' && v.result.answer.kind === 'stream') void v.result.answer.items.return(undefined);
      },
    });
  }

  /**
   * Attempts one deployment, retrying transient failures on it, until it answers or is given up.
   * `admitted` holds a slot and a breaker permit for the first attempt; each is released when its attempt
   * ends. `signal` is the deadline's, or a hedge's that also aborts when the other attempt wins.
   */
  private async tryDeployment(d: Dispatch, admitted: Admitted, firstKind: AttemptRecord['kind'], signal: AbortSignal, continuation?: ChatRequest): Promise<DeploymentVerdict> {
    const { input, route, deadline } = d;
    const { deployment, limit } = admitted;
    const { breakers, budget, throttle, latency } = this.policies;
    const breaker = breakers.get(deployment.id);
    const provider = providerFor(deployment.provider);
    // A continuation's body is not the client's: it carries the partial answer, so it is always encoded.
    const passthrough = continuation === undefined && deploymentFormatFor(deployment, input.clientFormat) === input.clientFormat && input.rawBody !== undefined;
    const passthroughBody = passthrough ? swapModel(input.rawBody!, deployment.model) : undefined;
    const retry = route.retry;
    budget.recordRequest(deployment.id);
    let permit = admitted.permit;
    let kind = firstKind;

    for (let attemptOnDeployment = 1; ; attemptOnDeployment++) {
      const startedAt = this.clock.now();
      const attemptBase = () => ({ requestId: input.requestId, route: route.name, deployment: deployment.id, provider: deployment.provider, model: deployment.model, startedAtMs: startedAt, kind });
      const result = await provider.send({
        deployment,
        request: continuation ?? input.request,
        ...(passthroughBody === undefined ? {} : { passthroughBody }),
        timeouts: {
          ttftMs: Math.max(1, Math.min(route.timeoutOverrides.ttftMs ?? deployment.timeouts.ttftMs, deadline.remainingMs())),
          idleMs: route.timeoutOverrides.idleMs ?? deployment.timeouts.idleMs,
        },
        signal,
        requestId: input.requestId,
      });
      const committed = result.kind === 'stream' ? await commitStream(result.items) : result;
      const record = (outcome: Outcome, failure?: UpstreamFailure, usage?: Usage, ttftMs?: number): AttemptRecord => {
        const entry: AttemptRecord = { ...attemptBase(), outcome, latencyMs: this.clock.now() - startedAt };
        if (failure?.status !== undefined) entry.status = failure.status;
        if (failure !== undefined) entry.message = failure.message;
        if (failure?.cancelled === true) entry.cancelled = true;
        if (usage !== undefined) entry.usage = usage;
        if (ttftMs !== undefined) entry.ttftMs = ttftMs;
        this.events.emit('attempt', entry);
        return entry;
      };
      const settle = (outcome: Outcome, failure?: UpstreamFailure, ttftMs?: number): void => {
        if (failure?.cancelled === true) {
          breaker.release(permit);
          limit.release(undefined);
          return;
        }
        limit.release(outcome, ttftMs);
        breaker.onResult(permit, outcome);
        throttle?.recordOutcome(deployment.id, outcome);
      };

      if (committed.kind !== 'failure') {
        const ttftMs = this.clock.now() - startedAt;
        latency.record(deployment.id, ttftMs);
        const base = { route: route.name, deployment, attempts: d.attempts, passthrough, done: () => d.finish() };
        if (committed.kind === 'json') {
          d.attempts.push(record('ok', undefined, committed.response.usage, ttftMs));
          settle('ok', undefined, ttftMs);
          return { kind: 'answered', result: { ...base, answer: committed } };
        }
        // A committed stream: its attempt is recorded, and the breaker told, when it ends.
        const index = d.attempts.length;
        d.attempts.push({ ...attemptBase(), outcome: 'ok', latencyMs: ttftMs, ttftMs });
        const items = observeEnd(committed.items, (failure, usage) => {
          d.attempts[index] = record(failure?.outcome ?? 'ok', failure, usage, ttftMs);
          settle(failure?.outcome ?? 'ok', failure, ttftMs);
        });
        return { kind: 'answered', result: { ...base, answer: { kind: 'stream', items } } };
      }

      const failure = committed.failure;
      d.attempts.push(record(failure.outcome, failure));
      settle(failure.outcome, failure);
      d.last = failure;
      if (failure.cancelled === true) return { kind: 'stop' };
      const decision = decideRetry({
        outcome: failure.outcome,
        attemptOnDeployment,
        maxAttemptsPerDeployment: retry.maxAttemptsPerDeployment ?? RESILIENCE_DEFAULTS.retry.maxAttemptsPerDeployment,
        retryAfterMs: failure.retryAfterMs,
        remainingDeadlineMs: deadline.remainingMs(),
        maxRetryAfterWaitMs: retry.maxRetryAfterMs ?? RESILIENCE_DEFAULTS.retryAfter.maxWaitMs,
        backoffBaseMs: retry.backoffBaseMs ?? RESILIENCE_DEFAULTS.backoff.baseMs,
        backoffCapMs: retry.backoffCapMs ?? RESILIENCE_DEFAULTS.backoff.capMs,
        random: this.random,
      });
      if (decision.action === 'stop') return { kind: 'stop' };
      if (decision.action === 'failover') {
        if (decision.reason === 'context_length') d.minContextFailed = Math.max(d.minContextFailed ?? 0, deployment.capabilities.contextWindow ?? 0);
        return { kind: 'next' };
      }
      // A failed breaker probe (or last resort) re-opened the breaker: no retry, no backoff, move on.
      if (permit.kind !== 'normal' || breaker.isOpen()) return { kind: 'next' };
      // A retry on the same deployment: only within the retry budget, so an outage is not multiplied.
      if (!budget.tryAcquireRetry(deployment.id)) return { kind: 'next' };
      try {
        await this.clock.sleep(decision.delayMs, signal);
      } catch {
        return { kind: 'stop' };
      }
      if (!limit.tryAcquire()) return { kind: 'next' };
      const again = breaker.tryAcquire();
      if (!again.allowed) {
        limit.release(undefined);
        return { kind: 'next' };
      }
      permit = again.permit;
      kind = 'retry';
    }
  }
}
