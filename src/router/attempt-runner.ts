/**
 * The per-deployment attempt runner: sends a request to one deployment and retries transient failures on
 * it, within the retry budget and the deadline, until it answers or is given up. Each attempt runs on an
 * `AttemptClock` set from the deployment's learned norms, so a silent provider is *overdue* within about a
 * second of its normal first token: the breaker and throttle are told at once (not when a timeout
 * finally fires, nor never, when the client hangs up first), and the caller is told so it can hedge. The
 * attempt is recorded once, when it ends, with its real outcome; successful ones teach the norms.
 */
import type { Clock } from '../core/clock.js';
import type { ChatRequest } from '../core/chat-request.js';
import { estimatedTokens, type Usage } from '../core/chat-response.js';
import type { Outcome } from '../core/outcome.js';
import type { Deployment, Route } from '../config/resolve-config.js';
import { providerFor, type AttemptInput, type AttemptResult, type UpstreamFailure } from '../providers/index.js';
import { decideRetry, type AbortWatch, type TypedEmitter } from '../resilience/index.js';
import type { Admitted } from './admission.js';
import { AttemptClock } from './attempt-clock.js';
import { HEDGE_LOST } from './hedge.js';
import type { AnswerMode, AttemptNorms } from './attempt-norms.js';
import type { DispatchContext } from './dispatch-context.js';
import { passthroughBody } from './pass-through.js';
import type { RouterPolicies } from './policies.js';
import type { AttemptRecord, DispatchResult, RouterEvents } from './router-types.js';
import { assembleAnswer, commitStream, observeEnd } from './stream-commit.js';

/**
 * `answered.attempt`: the index in `DispatchContext.attempts` of the attempt that answered. `unrecorded`:
 * a whole answer in a hedge race, whose record waits until the race says whether it won (`settle`).
 */
export type DeploymentVerdict = Answered | { kind: 'next' } | { kind: 'stop' };
type Answered = { kind: 'answered'; result: DispatchResult; attempt: number; unrecorded?: PendingAnswer };

/** A raced whole answer's attempt, recorded once its race is decided: `lost` when the other answered first. */
export interface PendingAnswer {
  settle(lost: boolean): void;
}

export interface RunOptions {
  /** A continuation's own request (it carries the partial answer), instead of the client's. */
  continuation?: ChatRequest;
  /** An attempt went overdue: the caller may hedge. */
  onOverdue?: () => void;
  /**
   * Cancelled when the request no longer wants this deployment (a hedge race that the other attempt won).
   * Set only in a race: a whole answer is then left unrecorded until the race settles it.
   */
  cancel?: AbortWatch;
}

export interface AttemptRunnerDeps {
  policies: () => RouterPolicies;
  norms: AttemptNorms;
  events: TypedEmitter<RouterEvents>;
  clock: Clock;
  random: () => number;
}

/**
 * What an attempt given up once its request was out brought, for an estimate of its usage: the prompt's
 * bytes, the output characters a stream brought (0 for JSON), and whether Keel gave it up (a hedge the
 * other attempt won) rather than its client.
 */
interface Left {
  promptBytes: number;
  outputChars: number;
  hedgeLost: boolean;
}

/** Built only when an attempt is given up: the prompt's bytes are the client's body's, or its request's as JSON in-process. */
function leftOf(input: DispatchContext['input'], outputChars: number, cancel: AbortWatch | undefined): Left {
  return { promptBytes: input.rawBody?.length ?? Buffer.byteLength(JSON.stringify(input.request)), outputChars, hedgeLost: cancel?.reason === HEDGE_LOST };
}

/** The per-attempt timeouts a route sets win over its deployments' own. */
export function attemptTimeouts(route: Route, deployment: Deployment): { ttftMs: number; idleMs: number } {
  return { ttftMs: route.timeoutOverrides.ttftMs ?? deployment.timeouts.ttftMs, idleMs: route.timeoutOverrides.idleMs ?? deployment.timeouts.idleMs };
}

export class AttemptRunner {
  constructor(private readonly deps: AttemptRunnerDeps) {}

  /**
   * Attempts one deployment until it answers or is given up. `admitted` holds a slot and a breaker permit
   * for the first attempt; each is released when its attempt ends. Every attempt follows the request's
   * deadline; `options.cancel` is a hedge race's, which aborts when the other attempt wins.
   */
  async run(d: DispatchContext, admitted: Admitted, firstKind: AttemptRecord['kind'], options: RunOptions = {}): Promise<DeploymentVerdict> {
    const { input, route, deadline } = d;
    const { deployment, limit } = admitted;
    const { breakers, budget } = this.deps.policies();
    const breaker = breakers.get(deployment.id);
    const provider = providerFor(deployment.provider);
    const body = options.continuation === undefined ? passthroughBody(input, deployment) : undefined;
    // A JSON answer from another format is re-encoded anyway: ask for it as a stream and assemble it, so
    // silence shows at first-token time rather than after the whole body, and a cut answer fails over
    // unseen. A same-format JSON answer stays the provider's own bytes (and is timed by the JSON norm).
    const wanted = options.continuation ?? input.request;
    const assemble = !wanted.stream && body === undefined && deployment.capabilities.streaming;
    const request = assemble ? { ...wanted, stream: true, streamUsage: true } : wanted;
    const mode: AnswerMode = request.stream ? 'stream' : 'json';
    const configured = attemptTimeouts(route, deployment);
    const retry = route.retry;
    budget.recordRequest(deployment.id);
    let permit = admitted.permit;
    let kind = firstKind;

    for (let attemptOnDeployment = 1; ; attemptOnDeployment++) {
      const limits = this.deps.norms.limitsFor(deployment.id, mode, configured);
      const attempt = new Attempt(this.deps, d, deployment, kind, permit, limit);
      const clock = new AttemptClock({
        clock: this.deps.clock,
        limits,
        budgetMs: deadline.remainingMs(),
        parent: deadline,
        cancel: options.cancel,
        onOverdue: () => {
          attempt.chargeOverdue();
          options.onOverdue?.();
        },
      });
      attempt.clock = clock;
      const sent: AttemptInput = { deployment, request, timeouts: { idleMs: limits.idleLimitMs }, signal: clock.signal, requestId: input.requestId, onHeaders: () => clock.markHeaders() };
      if (body !== undefined) sent.passthroughBody = body; // set, not spread: this is every attempt's path
      // A request cancelled before it went out cost the provider nothing; one cancelled after, its prompt.
      const sentLive = !clock.signal.aborted;
      const result: AttemptResult = await provider.send(sent);
      let committed = result.kind === 'stream' ? await commitStream(result.items) : result;
      // The stream's pace, for its norm: only a stream has one.
      const gaps = committed.kind === 'stream' ? { clock: this.deps.clock, onGap: (gapMs: number) => attempt.noteGap(gapMs) } : undefined;
      if (committed.kind === 'stream' && assemble) {
        clock.markFirstToken();
        committed = await assembleAnswer(committed, gaps);
      }

      if (committed.kind !== 'failure') {
        const ttftMs = clock.markFirstToken();
        this.deps.policies().latency.record(deployment.id, ttftMs);
        const answered = (answer: DispatchResult['answer'], index: number): Answered => ({
          kind: 'answered',
          result: { route: route.name, deployment, attempts: d.attempts, passthrough: body !== undefined, done: () => d.finish(), answer },
          attempt: index,
        });
        if (committed.kind === 'json') {
          if (options.cancel === undefined) {
            attempt.end(undefined, committed.response.usage, mode);
            return answered(committed, d.attempts.length - 1);
          }
          // In a race, the answer may be one that came just after the winner's: its record (and the
          // `attempt` event) waits until the race says so, so nothing sees it as a plain answer first.
          const verdict = answered(committed, attempt.placeholder(ttftMs));
          verdict.unrecorded = attempt.pendingAnswer(committed.response.usage, mode, verdict.attempt);
          return verdict;
        }
        // A committed stream: its attempt is recorded, and the breaker told, when it ends.
        const index = attempt.placeholder(ttftMs);
        // A stream given up (its client left, or a hedge lost) is estimated from what it brought.
        const items = observeEnd(committed, (failure, usage, outputChars) => attempt.end(failure, usage, mode, index, failure?.cancelled === true ? leftOf(input, outputChars, options.cancel) : undefined), gaps);
        return answered({ kind: 'stream', items }, index);
      }

      const failure = committed.failure;
      // An attempt given up once its request was out is estimated at the prompt the provider read; the
      // output it may have gone on to write is unknown, and not guessed.
      const left = failure.cancelled === true && sentLive ? leftOf(input, 0, options.cancel) : undefined;
      const outcome = attempt.end(failure, undefined, mode, undefined, left);
      // An exhausted quota lasts hours: stop sending into it now; recovery probes find when it is back.
      if (failure.quotaExhausted === true) breaker.trip('quota_exhausted');
      d.last = failure;
      if (outcome === 'cancelled') return { kind: 'stop' };
      const decision = decideRetry({
        outcome: failure.outcome,
        attemptOnDeployment,
        maxAttemptsPerDeployment: retry.maxAttemptsPerDeployment,
        retryAfterMs: failure.retryAfterMs,
        remainingDeadlineMs: deadline.remainingMs(),
        maxRetryAfterWaitMs: retry.maxRetryAfterMs,
        backoffBaseMs: retry.backoffBaseMs,
        backoffCapMs: retry.backoffCapMs,
        random: this.deps.random,
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
        await this.deps.clock.sleep(decision.delayMs, deadline.signal);
      } catch {
        return { kind: 'stop' };
      }
      if (options.cancel?.aborted === true) return { kind: 'stop' };
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

/**
 * One attempt's bookkeeping: the breaker, throttle and concurrency slot are settled exactly once, the
 * record is emitted exactly once, and an attempt charged as overdue is never later excused as a
 * client's cancellation.
 */
class Attempt {
  clock!: AttemptClock;
  private charged = false;
  private maxGapMs = 0;

  constructor(
    private readonly deps: AttemptRunnerDeps,
    private readonly d: DispatchContext,
    private readonly deployment: Deployment,
    private readonly kind: AttemptRecord['kind'],
    private readonly permit: Admitted['permit'],
    private readonly limit: Admitted['limit'],
  ) {}

  /** Silence past the norm is the provider's fault whoever hangs up first: count it now. */
  chargeOverdue(): void {
    if (this.charged) return;
    this.charged = true;
    const { breakers, throttle } = this.deps.policies();
    breakers.get(this.deployment.id).onResult(this.permit, 'timeout');
    throttle?.recordOutcome(this.deployment.id, 'timeout');
  }

  noteGap(gapMs: number): void {
    if (gapMs > this.maxGapMs) this.maxGapMs = gapMs;
  }

  /** A committed stream's record while it runs (outcome `ok` so far); replaced when it ends. */
  placeholder(ttftMs: number): number {
    const entry = this.record('ok', ttftMs);
    entry.ttftMs = ttftMs;
    this.d.attempts.push(entry);
    return this.d.attempts.length - 1;
  }

  /** A raced whole answer, recorded when its race is decided; a lost one is marked as discarded. */
  pendingAnswer(usage: Usage | undefined, mode: AnswerMode, index: number): PendingAnswer {
    return { settle: (lost) => void this.end(undefined, usage, mode, index, undefined, lost) };
  }

  /**
   * Settles and records the attempt; returns its outcome, or `cancelled` when it says nothing of health.
   * `left`: an attempt given up once its request was out (its client left, or a hedge lost), whose usage
   * is estimated when the provider's never came (not when the attempt was already overdue: a provider
   * that said nothing is not billed for).
   */
  end(failure: UpstreamFailure | undefined, usage: Usage | undefined, mode: AnswerMode, index?: number, left?: Left, discarded = false): Outcome | 'cancelled' {
    const clock = this.clock;
    clock.end();
    const { breakers, throttle } = this.deps.policies();
    const breaker = breakers.get(this.deployment.id);
    // A client that hung up on an attempt already overdue does not excuse the provider's silence.
    const overdueCancel = failure?.cancelled === true && this.charged && clock.firstTokenAtMs === undefined;
    const cancelled = failure?.cancelled === true && !overdueCancel;
    const outcome: Outcome = overdueCancel ? 'timeout' : (failure?.outcome ?? 'ok');
    const ttftMs = clock.firstTokenAtMs === undefined ? undefined : clock.firstTokenAtMs - clock.startedAtMs;

    if (cancelled) {
      if (!this.charged) breaker.release(this.permit);
      this.limit.release(undefined);
    } else {
      this.limit.release(outcome, ttftMs);
      if (!this.charged) {
        breaker.onResult(this.permit, outcome);
        throttle?.recordOutcome(this.deployment.id, outcome);
      }
    }
    if (outcome === 'ok' && failure === undefined) this.learn(mode, ttftMs);

    const entry = this.record(outcome, this.deps.clock.now() - clock.startedAtMs);
    if (failure?.status !== undefined) entry.status = failure.status;
    const hedgeLost = discarded || (cancelled && left?.hedgeLost === true);
    if (overdueCancel) entry.message = `no answer within the deployment's norm (overdue after ${clock.overdueAtMs! - clock.startedAtMs} ms); the request moved on`;
    else if (discarded) entry.message = `discarded: ${HEDGE_LOST.message}`;
    else if (hedgeLost) entry.message = `cancelled: ${HEDGE_LOST.message}`;
    else if (failure !== undefined) entry.message = failure.message;
    if (cancelled) entry.cancelled = true;
    if (clock.overdueAtMs !== undefined) entry.overdueMs = clock.overdueAtMs - clock.startedAtMs;
    if (usage !== undefined) entry.usage = usage;
    else if (left !== undefined && cancelled) {
      entry.usage = { inputTokens: estimatedTokens(left.promptBytes), outputTokens: estimatedTokens(left.outputChars) };
      entry.usageEstimated = true;
    }
    if (hedgeLost) entry.hedgeLost = true;
    if (ttftMs !== undefined) entry.ttftMs = ttftMs;
    if (index === undefined) this.d.attempts.push(entry);
    else this.d.attempts[index] = entry;
    this.deps.events.emit('attempt', entry);
    return cancelled ? 'cancelled' : outcome;
  }

  private learn(mode: AnswerMode, ttftMs: number | undefined): void {
    const { norms } = this.deps;
    const clock = this.clock;
    if (clock.headersAtMs !== undefined) norms.record(this.deployment.id, mode, 'headers', clock.headersAtMs - clock.startedAtMs);
    if (ttftMs !== undefined) norms.record(this.deployment.id, mode, 'first_token', ttftMs);
    if (mode === 'stream') norms.record(this.deployment.id, mode, 'gap', this.maxGapMs);
  }

  /** The attempt's record with its outcome (built once, fields in the order logs and stores show them). */
  private record(outcome: Outcome, latencyMs: number): AttemptRecord {
    const { input, route } = this.d;
    const d = this.deployment;
    const base: Omit<AttemptRecord, 'outcome' | 'latencyMs'> = { requestId: input.requestId, route: route.name, deployment: d.id, provider: d.provider, model: d.model, startedAtMs: this.clock.startedAtMs, kind: this.kind };
    if (d.region !== undefined) base.region = d.region;
    const entry = base as AttemptRecord;
    entry.outcome = outcome;
    entry.latencyMs = latencyMs;
    return entry;
  }
}
