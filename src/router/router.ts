/**
 * The router: resolves the model a client asked for to a route, plans the order of its deployments, and
 * runs attempts through the resilience policies until one answers. Per deployment: skip it if it cannot
 * serve the request or its breaker is open or the adaptive throttle sheds the call; otherwise attempt,
 * retry transient failures with backoff (honouring Retry-After) while the retry budget allows, and fail
 * over on the rest. One deadline bounds everything. It decides from `Outcome`s only: a client error ends
 * the request at once. When every breaker of a route is open, the least recently failed deployment still
 * gets one last-resort attempt rather than failing without trying.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.js';
import { chatRequest } from '../core/chat-request.js';
import { PROBE_ID_PREFIX } from '../core/request-id.js';
import type { ChatRequest } from '../core/chat-request.js';
import { KeelError, type ErrorCode } from '../core/errors.js';
import { soloRoute, type Deployment, type Route, type RuntimeConfig } from '../config/resolve-config.js';
import { AdmissionRejected, Deadline, TypedEmitter, type CircuitBreakerSnapshot } from '../resilience/index.js';
import { AttemptNorms } from './attempt-norms.js';
import { AttemptRunner, type DeploymentVerdict } from './attempt-runner.js';
import { lighterInput, newDispatchContext, type DispatchContext } from './dispatch-context.js';
import { finalError } from './final-error.js';
import { hedge } from './hedge.js';
import { DeploymentRace, type RaceDeps } from './deployment-race.js';
import { admitDeployment, type Admitted } from './admission.js';
import { planDeployments } from './plan.js';
import { createPolicies, recoveryProbeSettings, type RouterPolicies } from './policies.js';
import { RecoveryProber } from './recovery-prober.js';
import { DegradedAnswers, replayResponse } from './degraded-answer.js';
import type { AttemptRecord, DispatchAnswer, DispatchInput, DispatchResult, RequestRecord, RouterEvents, RouterOptions } from './router-types.js';
import { continueOnFailure } from './stream-continuation.js';

export type { AttemptRecord, DispatchAnswer, DispatchInput, DispatchResult, RequestRecord, RouterEvents, RouterOptions } from './router-types.js';

/** Failures a degraded answer may cover: the providers' fault, never the client's. */
const DEGRADABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['all_deployments_failed', 'deadline_exceeded', 'rate_limited']);

export class Router {
  policies: RouterPolicies;
  /** Attempts, finished requests and breaker changes, for telemetry, health and incidents. */
  readonly events = new TypedEmitter<RouterEvents>();
  /** What is normal for each deployment (first byte, first token, stream gaps): the attempts' clocks. */
  readonly norms: AttemptNorms;
  private readonly degraded: DegradedAnswers;
  private readonly runner: AttemptRunner;
  private readonly raceDeps: RaceDeps;
  /** Probes open breakers every few seconds so traffic is back soon after a recovery. */
  readonly recovery: RecoveryProber;
  private readonly clock: Clock;
  private readonly random: () => number;
  /**
   * Reorders (or shortens) each request's plan after the strategy: the vendor status signal's hook
   * (`status_sources.on_major_outage`). It only sees the plan; breakers are never touched from here.
   */
  planOrder: ((plan: Deployment[]) => Deployment[]) | undefined = undefined;

  constructor(
    private config: RuntimeConfig,
    options: RouterOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.degraded = new DegradedAnswers(this.clock, options.answerCache);
    this.policies = this.newPolicies();
    this.norms = new AttemptNorms(this.clock);
    this.runner = new AttemptRunner({ policies: () => this.policies, norms: this.norms, events: this.events, clock: this.clock, random: this.random });
    this.raceDeps = { runner: this.runner, policies: () => this.policies, clock: this.clock };
    this.recovery = new RecoveryProber({
      settings: recoveryProbeSettings(config.resilience),
      clock: this.clock,
      random: this.random,
      breakers: () => this.policies.breakers,
      probe: (id, signal) => this.probeDeployment(id, signal),
      knows: (id) => this.config.deployments.has(id),
    });
    if (options.onAttempt !== undefined) this.events.on('attempt', options.onAttempt);
  }

  private newPolicies(): RouterPolicies {
    const policies = createPolicies(this.config.resilience, this.clock, this.random);
    policies.breakers.on('stateChange', (event) => {
      this.events.emit('breaker', event);
      this.recovery?.onBreaker(event);
    });
    return policies;
  }

  /** A deployment's breaker, as a copy: the read-only view for metrics, the admin API and status pages. */
  breakerState(deploymentId: string): CircuitBreakerSnapshot {
    return this.policies.breakers.get(deploymentId).toJSON();
  }

  /** Every breaker this router has made so far, as copies. */
  breakerStates(): Record<string, CircuitBreakerSnapshot> {
    return this.policies.breakers.toJSON();
  }

  /** An operator's override: hold a breaker open (drain a deployment) or close it (trust it again now). */
  forceBreaker(deploymentId: string, action: 'open' | 'close'): CircuitBreakerSnapshot {
    const breaker = this.policies.breakers.get(deploymentId);
    if (action === 'open') breaker.forceOpen();
    else breaker.forceClose();
    return breaker.toJSON();
  }

  /** What the gateway is carrying now: admitted and queued requests, and each deployment's limit and calls. */
  load(): { inFlight: number; queued: number; deployment(id: string): { limit: number; inFlight: number } } {
    const { admission } = this.policies;
    return {
      inFlight: admission.inFlight,
      queued: admission.queued,
      deployment: (id) => {
        const limit = this.policies.limitFor(id);
        return { limit: limit.limit, inFlight: limit.inFlight };
      },
    };
  }

  /** Stops background work (recovery probes); in-flight requests are not affected. */
  stop(): void {
    this.recovery.stop();
  }

  /**
   * One recovery probe of a deployment whose breaker is open: the smallest request it accepts, bounded by
   * the probe timeout, on a recovery permit (an answer closes the breaker). Recorded like any attempt,
   * under a `probe_` request id so health and SLOs keep it apart from clients' traffic.
   */
  private async probeDeployment(deploymentId: string, signal: AbortSignal): Promise<boolean> {
    const deployment = this.config.deployments.get(deploymentId);
    const limit = this.policies.limitFor(deploymentId);
    if (deployment === undefined || !limit.tryAcquire()) return false;
    const permit = this.policies.breakers.get(deploymentId).acquireRecoveryProbe();
    const request = chatRequest({ model: deployment.model, messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }], maxTokens: 1 });
    const route = soloRoute(deployment.model, deployment);
    const budgetMs = this.recovery.settings.timeoutMs;
    const deadline = new Deadline({ budgetMs, clock: this.clock, parentSignal: signal, timeoutReason: () => new KeelError('deadline_exceeded', `The recovery probe got no answer within ${budgetMs} ms.`) });
    const input = { request, clientFormat: 'openai' as const, requestId: `${PROBE_ID_PREFIX}${deploymentId}_${randomBytes(6).toString('hex')}`, signal };
    const d = newDispatchContext(input, { ...route, retry: { ...route.retry, maxAttemptsPerDeployment: 1 } }, deadline, () => undefined);
    try {
      const verdict = await this.runner.run(d, { deployment, limit, permit }, 'recovery_probe');
      return verdict.kind === 'answered';
    } finally {
      deadline.dispose();
    }
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
    // A loop still sleeping for an old breaker would wake to probe a new one that just opened, early.
    this.recovery.forget();
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
        return soloRoute(model, deployment);
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
      // Room now is the usual case: taken at once, without a promise to wait on.
      const admission = this.policies.admission;
      releaseAdmission = admission.tryAcquire() ?? (await admission.acquire(input.priority ?? 'interactive', deadline, deadline.remainingMs()));
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
    const d = newDispatchContext(input, route, deadline, finish);
    const breakers = this.policies.breakers;
    const refusedByBreaker: string[] = [];
    const strategic = planDeployments(route, this.policies.latency, this.random);
    const plan: (Deployment | undefined)[] = this.planOrder?.(strategic) ?? strategic;
    /**
     * The first deployment of the plan not yet tried that is `wanted`, can and may take an attempt now,
     * with its slot and permit. Deployments passed over as unwanted stay available for a later call.
     */
    const nextAdmitted = (wanted: (deployment: Deployment) => boolean = () => true): Admitted | undefined => {
      for (let i = 0; i < plan.length && !deadline.aborted; i++) {
        const deployment = plan[i];
        if (deployment === undefined || !wanted(deployment)) continue;
        plan[i] = undefined;
        const admitted = admitDeployment(this.policies, this.random, d, deployment, refusedByBreaker);
        if (admitted !== undefined) return admitted;
      }
      return undefined;
    };
    try {
      for (let admitted = nextAdmitted(); admitted !== undefined; admitted = nextAdmitted()) {
        const kind = d.attempts.length === 0 ? 'first' : 'failover';
        // A hedge needs somewhere to go: with no deployment left in the plan, the race is not set up at all.
        const canHedge = route.hedge.enabled && plan.some((p) => p !== undefined);
        // Tries `admitted`; when it goes overdue (or after the route's fixed hedge delay), also the next
        // admitted deployment, and the first answer wins (see deployment-race.ts).
        const verdict = canHedge ? await hedge(new DeploymentRace(this.raceDeps, d, admitted, kind, nextAdmitted)) : await this.runner.run(d, admitted, kind);
        if (verdict.kind === 'answered') return this.deliver(d, verdict, nextAdmitted, plan.some((p) => p !== undefined));
        if (verdict.kind === 'stop') break;
      }
      // Every candidate's breaker was open: try the one that failed longest ago rather than nothing.
      if (d.attempts.length === 0 && refusedByBreaker.length > 0 && !deadline.aborted) {
        const id = breakers.leastRecentlyFailed(refusedByBreaker);
        const deployment = id === undefined ? undefined : this.config.deployments.get(id);
        const limit = deployment === undefined ? undefined : this.policies.limitFor(deployment.id);
        if (deployment !== undefined && limit !== undefined && limit.tryAcquire()) {
          const permit = breakers.get(deployment.id).acquireLastResort();
          const verdict = await this.runner.run(d, { deployment, limit, permit }, 'last_resort');
          if (verdict.kind === 'answered') return this.deliver(d, verdict, nextAdmitted, plan.some((p) => p !== undefined));
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

  private emitRequest(d: Pick<DispatchContext, 'input' | 'route' | 'attempts' | 'degraded' | 'answeredBy'>, startedAtMs: number, errorCode: ErrorCode | undefined): void {
    const answering = d.answeredBy === undefined ? undefined : d.attempts[d.answeredBy];
    const answered = errorCode === undefined && answering?.outcome === 'ok' ? answering : undefined;
    const record: RequestRecord = {
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
    };
    this.events.emit('request', record);
    d.input.settlement?.settled(record);
  }

  /** A recent cached answer to the same question, else the route's static message, else nothing. */
  private async degradedAnswer(d: DispatchContext): Promise<DispatchResult | undefined> {
    const found = await this.degraded.find(d.route, d.input.tenant, d.input.request).catch(() => undefined);
    if (found === undefined) return undefined;
    d.degraded = found.kind;
    const answer: DispatchAnswer = d.input.request.stream ? { kind: 'stream', items: replayResponse(found.response) } : { kind: 'json', response: found.response };
    return { route: d.route.name, deployment: undefined, degraded: found.kind, attempts: d.attempts, passthrough: false, answer, done: () => d.finish() };
  }

  /** Remembers successful answers of routes with a degraded-answer cache. */
  private remember(d: DispatchContext, answer: DispatchAnswer): DispatchAnswer {
    if (answer.kind === 'json') {
      this.degraded.remember(d.route, d.input.tenant, d.input.request, answer.response);
      return answer;
    }
    return { kind: 'stream', items: this.degraded.rememberStream(d.route, d.input.tenant, d.input.request, answer.items) };
  }

  /**
   * The answer as the client gets it: a stream that breaks mid-answer is finished by another deployment
   * when one can (see stream-continuation.ts) — one that accepts a prefill continues the partial text;
   * otherwise the next one is asked the original question and its answer is used only if it begins with
   * exactly the text the client already has. A route with a degraded-answer cache remembers the answer.
   */
  private deliver(
    d: DispatchContext,
    verdict: Extract<DeploymentVerdict, { kind: 'answered' }>,
    nextAdmitted: (wanted: (deployment: Deployment) => boolean) => Admitted | undefined,
    canContinue: boolean,
  ): DispatchResult {
    const { result } = verdict;
    d.answeredBy = verdict.attempt;
    const answer = result.answer;
    // `result` is this request's own, made by the runner for this answer: it is completed in place.
    if (answer.kind === 'json') {
      result.answer = this.remember(d, answer);
      return result;
    }
    // The client's bytes go out only on a fresh attempt; what follows a committed stream is a continuation,
    // asked from the canonical request. An open stream that waits on a slow model should not hold the prompt twice.
    // Nothing left that could finish a cut stream: no need to keep its text, nor (without a cache to
    // remember the answer under it) the prompt — only the settings the request's record reads.
    const final = !canContinue || (result.passthrough && d.input.passthroughResumable === false);
    const remembered = final ? this.remember(d, answer) : undefined;
    d.input = lighterInput(d.input, final && d.route.degraded.cacheTtlMs === undefined);
    if (remembered !== undefined) {
      result.answer = remembered;
      return result;
    }
    const items = continueOnFailure(answer.items, async (partialText) => {
      const admitted = nextAdmitted((deployment) => deployment.capabilities.prefill) ?? nextAdmitted(() => true);
      if (admitted === undefined) return undefined;
      const prefill = admitted.deployment.capabilities.prefill;
      const original: ChatRequest = { ...d.input.request, stream: true };
      const request: ChatRequest = prefill ? { ...original, messages: [...original.messages, { role: 'assistant', content: [{ type: 'text', text: partialText }] }] } : original;
      const verdict = await this.runner.run(d, admitted, 'failover', { continuation: request });
      if (verdict.kind !== 'answered' || verdict.result.answer.kind !== 'stream') return undefined;
      const takeOver = verdict.attempt;
      return { items: verdict.result.answer.items, mode: prefill ? 'prefill' : 'replay', onTakeOver: () => (d.answeredBy = takeOver) };
    });
    result.answer = this.remember(d, { kind: 'stream', items });
    return result;
  }
}
