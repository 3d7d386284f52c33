/**
 * A stand-in for the router in health tests: emits the router's real `attempt`, `request` and `breaker`
 * event types for a priority route (primary, then fallback) with a simple circuit breaker on each
 * deployment (opens after 5 consecutive faults for 30 s, one half-open probe), so an hour of outage runs
 * on a ManualClock in milliseconds.
 */
import type { ManualClock } from '../../core/clock.js';
import type { Outcome } from '../../core/outcome.js';
import type { ProviderName } from '../../config/schema.js';
import { TypedEmitter } from '../../resilience/typed-emitter.js';
import type { CircuitStateName } from '../../resilience/index.js';
import type { AttemptRecord, RouterEvents } from '../../router/router-types.js';

export interface SyntheticDeployment {
  id: string;
  provider: ProviderName;
}

interface BreakerSim {
  state: CircuitStateName;
  consecutive: number;
  untilMs: number;
}

const STATUS: Partial<Record<Outcome, number>> = { rate_limited: 429, overloaded: 529, server_error: 500 };

export class SyntheticTraffic {
  readonly events = new TypedEmitter<RouterEvents>();
  /** The outcome each deployment gives right now (default ok). */
  readonly faults = new Map<string, Outcome>();
  private readonly breakers = new Map<string, BreakerSim>();
  private seq = 0;

  constructor(
    private readonly clock: ManualClock,
    readonly deployments: SyntheticDeployment[],
    readonly route = 'smart',
    private readonly latencyMs = 400,
  ) {}

  /** One client request now, through the route's deployments in order. */
  request(requestId = `req_${++this.seq}`): void {
    const startedAtMs = this.clock.now();
    const attempts: AttemptRecord[] = [];
    let answered: string | undefined;
    for (const d of this.deployments) {
      const breaker = this.breaker(d.id);
      if (breaker.state === 'open' && startedAtMs >= breaker.untilMs) this.transition(d.id, 'half_open');
      if (breaker.state === 'open') continue;
      const outcome = this.faults.get(d.id) ?? 'ok';
      const attempt = this.attempt(d, requestId, outcome, attempts.length === 0 ? 'first' : 'failover');
      attempts.push(attempt);
      this.onResult(d.id, outcome);
      if (outcome === 'ok') {
        answered = d.id;
        break;
      }
    }
    this.events.emit('request', {
      requestId,
      route: this.route,
      tenant: 'acme',
      priority: 'interactive',
      clientFormat: 'openai',
      stream: false,
      startedAtMs,
      latencyMs: attempts.reduce((sum, a) => sum + a.latencyMs, 0),
      outcome: answered === undefined ? 'all_deployments_failed' : 'ok',
      degraded: undefined,
      deployment: answered,
      attempts,
    });
  }

  private attempt(d: SyntheticDeployment, requestId: string, outcome: Outcome, kind: AttemptRecord['kind']): AttemptRecord {
    const record: AttemptRecord = { requestId, route: this.route, deployment: d.id, provider: d.provider, model: `${d.id}-model`, outcome, startedAtMs: this.clock.now(), latencyMs: this.latencyMs, kind };
    if (outcome === 'ok') record.ttftMs = this.latencyMs / 2;
    else {
      const status = STATUS[outcome];
      if (status !== undefined) record.status = status;
      record.message = `${status ?? ''} ${outcome} from upstream (key sk-test-SECRET-123456789abcdef leaked in body)`.trim();
    }
    this.events.emit('attempt', record);
    return record;
  }

  private onResult(id: string, outcome: Outcome): void {
    const breaker = this.breaker(id);
    const fault = outcome !== 'ok';
    if (breaker.state === 'half_open') {
      this.transition(id, fault ? 'open' : 'closed');
      return;
    }
    breaker.consecutive = fault ? breaker.consecutive + 1 : 0;
    if (breaker.consecutive >= 5) this.transition(id, 'open');
  }

  private transition(id: string, to: CircuitStateName): void {
    const breaker = this.breaker(id);
    const from = breaker.state;
    const atMs = this.clock.now();
    breaker.state = to;
    breaker.consecutive = 0;
    if (to === 'open') breaker.untilMs = atMs + 30_000;
    const reason = to === 'open' ? (from === 'half_open' ? 'probe_failed' : 'consecutive_failures') : to === 'closed' ? 'probe_succeeded' : 'open_duration_elapsed';
    this.events.emit('breaker', { deploymentId: id, from, to, atMs, reason, ...(to === 'open' ? { untilMs: breaker.untilMs } : {}) });
  }

  private breaker(id: string): BreakerSim {
    let b = this.breakers.get(id);
    if (b === undefined) {
      b = { state: 'closed', consecutive: 0, untilMs: 0 };
      this.breakers.set(id, b);
    }
    return b;
  }
}

/** Lets the promise continuations a clock advance woke run (the detector's loop), without real time passing. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
