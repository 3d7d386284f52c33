/**
 * A request's hedge race between two deployments, as the router runs it (see hedge.ts for the race):
 * the first deployment's attempts run with the race's cancel; the trigger is the first attempt going
 * overdue against its deployment's norm, or the route's fixed hedge delay. One object per request on a
 * route with a second deployment, its steps methods rather than closures: almost none of them is ever
 * hedged.
 *
 * A hedge is an extra call, so it spends the first deployment's retry budget and never doubles the
 * load — unless the first deployment's breaker has opened meanwhile: then the hedge replaces a call to a
 * deployment known to be failing. With the budget spent, an overdue first attempt is given up and the
 * request moves on instead: a failover adds no call, and waiting out the cut would cost the client
 * seconds for an answer that is unlikely.
 */
import type { Clock } from '../core/clock.js';
import { StreamTimeoutError } from '../providers/http/network-failure.js';
import type { AbortWatch } from '../resilience/index.js';
import type { Admitted } from './admission.js';
import type { AttemptRunner, DeploymentVerdict } from './attempt-runner.js';
import type { DispatchContext } from './dispatch-context.js';
import { NOT_ARMED, type HedgeRace } from './hedge.js';
import type { RouterPolicies } from './policies.js';
import type { AttemptRecord } from './router-types.js';
import { closeStream } from './stream-commit.js';

/** What every race of a router shares. */
export interface RaceDeps {
  runner: AttemptRunner;
  /** The router's policies as they are now (a reload replaces them). */
  policies: () => RouterPolicies;
  clock: Clock;
}

export class DeploymentRace implements HedgeRace<DeploymentVerdict> {
  /** When the first attempt went overdue, if it did. */
  private overdueAtMs: number | undefined;
  /** The race's trigger, when it is the first attempt going overdue (no fixed delay). */
  private fire: (() => void) | undefined;

  constructor(
    private readonly deps: RaceDeps,
    private readonly d: DispatchContext,
    private readonly firstAdmitted: Admitted,
    private readonly kind: AttemptRecord['kind'],
    private readonly nextAdmitted: () => Admitted | undefined,
  ) {}

  arm(fire: () => void): () => void {
    const fixedDelayMs = this.d.route.hedge.delayMs;
    if (fixedDelayMs !== undefined) return this.deps.clock.setTimer(fixedDelayMs, fire);
    this.fire = fire;
    return NOT_ARMED;
  }

  first(cancel: AbortWatch): Promise<DeploymentVerdict> {
    return this.deps.runner.run(this.d, this.firstAdmitted, this.kind, { cancel, onOverdue: this.onOverdue });
  }

  second(cancel: AbortWatch, giveUpFirst: (reason: unknown) => void): Promise<DeploymentVerdict> | undefined {
    const second = this.nextAdmitted();
    if (second === undefined) return undefined;
    const policies = this.deps.policies();
    const firstId = this.firstAdmitted.deployment.id;
    const budgeted = policies.breakers.isOpen(firstId) || policies.budget.tryAcquireRetry(firstId);
    if (!budgeted) {
      if (this.overdueAtMs === undefined) {
        second.limit.release(undefined);
        policies.breakers.get(second.deployment.id).release(second.permit);
        return undefined;
      }
      giveUpFirst(new StreamTimeoutError('first_token', this.overdueAtMs - this.d.deadline.startedAtMs));
    }
    return this.deps.runner.run(this.d, second, budgeted ? 'hedge' : 'failover', { cancel });
  }

  isAnswer(v: DeploymentVerdict): boolean {
    return v.kind === 'answered';
  }

  isStop(v: DeploymentVerdict): boolean {
    return v.kind === 'stop';
  }

  /** A raced whole answer that won is recorded as a plain answer. */
  won(v: DeploymentVerdict): void {
    if (v.kind === 'answered') v.unrecorded?.settle(false);
  }

  discard(v: DeploymentVerdict): void {
    if (v.kind !== 'answered') return;
    if (v.result.answer.kind === 'stream') return void closeStream(v.result.answer.items).catch(() => undefined);
    // A whole answer that came just after the winner's: the provider billed it, the caller did not get it.
    v.unrecorded?.settle(true);
  }

  private readonly onOverdue = (): void => {
    this.overdueAtMs ??= this.deps.clock.now();
    this.fire?.();
  };
}
