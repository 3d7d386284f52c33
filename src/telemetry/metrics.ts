/**
 * Prometheus metrics for one router. Counters and histograms are fed by the router's events (`attempt`,
 * `request`, `breaker`), so the request path only pays for a listener call; gauges that describe current
 * state (breakers, admission queue, concurrency limits) read the router's read-only view at scrape time. Everything lives in a registry of its own
 * (never prom-client's global one), so two Keels in one process, or one per test, do not collide, and a
 * later module (incidents) can add its own metrics to `metrics.registry`. Label values are bounded by
 * construction: routes and deployments come from the config, outcomes, kinds and error codes are fixed
 * sets; request ids, tenants, messages and keys never become labels.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Router } from '../router/router.js';
import type { AttemptRecord, RequestRecord } from '../router/router-types.js';
import type { CircuitStateName, CircuitStateChangeEvent } from '../resilience/index.js';
import { TalliedHistogram, talliedCounter } from './label-tally.js';

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop lag, GC), prefixed `keel_`. Default true. */
  defaultMetrics?: boolean;
  /**
   * The configured deployment ids: their breaker and concurrency gauges are exported from the first
   * scrape (breaker closed, initial limit) instead of appearing only after their first attempt.
   */
  deployments?: Iterable<string>;
}

export interface Metrics {
  /** Keel's own registry: other modules may register more metrics here. */
  readonly registry: Registry;
  /** The Content-Type of `render()`'s output, for the `/metrics` response. */
  readonly contentType: string;
  /** The text exposition of every metric in the registry. */
  render(): Promise<string>;
  /** Unsubscribes from the router and forgets every metric. */
  close(): void;
}

/**
 * LLM calls take from tens of milliseconds (a cached or refused answer) to minutes (a long generation),
 * so the buckets span 50 ms to 120 s, roughly doubling, with more resolution in the 0.5–10 s range
 * where most time-to-first-token and short completions fall.
 */
export const LLM_LATENCY_BUCKETS_S = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120];

/** A gauge value per breaker state, ordered by how much traffic the deployment is denied. */
export const BREAKER_STATE_VALUE: Record<CircuitStateName, number> = {
  closed: 0,
  half_open: 1,
  open: 2,
  forced_open: 3,
};

const msToS = (ms: number): number => Math.max(0, ms) / 1000;

export function createMetrics(router: Pick<Router, 'events' | 'breakerStates' | 'load'>, options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'keel_' });
  const registers = [registry];
  // Deployments to report gauges for: the configured ones, plus any seen in an attempt.
  const deployments = new Set<string>(options.deployments ?? []);

  // The counters and histograms every request touches are tallied (label-tally.ts): no label string built per call.
  const requests = talliedCounter({
    name: 'keel_requests_total',
    help: 'Client requests the router finished, by route, outcome (ok or the error code the client got), client format and streaming.',
    labelNames: ['route', 'outcome', 'client_format', 'stream'] as const,
    registers,
  });
  const requestDuration = new TalliedHistogram({
    name: 'keel_request_duration_seconds',
    help: 'Time from admission to the end of the answer (the last byte of a stream), by route.',
    labelNames: ['route'] as const,
    buckets: LLM_LATENCY_BUCKETS_S,
    registers,
  });
  const timeToFirstToken = new TalliedHistogram({
    name: 'keel_time_to_first_token_seconds',
    help: 'Streamed requests answered by a deployment: time from admission to the first content, failed attempts before it included, by route.',
    labelNames: ['route'] as const,
    buckets: LLM_LATENCY_BUCKETS_S,
    registers,
  });
  const attempts = talliedCounter({
    name: 'keel_attempts_total',
    help: 'Upstream attempts, by deployment, provider, outcome (cancelled when Keel abandoned it: a lost hedge, a client gone) and kind (first, retry, failover, hedge, last_resort).',
    labelNames: ['deployment', 'provider', 'outcome', 'kind'] as const,
    registers,
  });
  const attemptDuration = new TalliedHistogram({
    name: 'keel_attempt_duration_seconds',
    help: 'Duration of upstream attempts (to the end of the stream for streamed answers), by deployment.',
    labelNames: ['deployment'] as const,
    buckets: LLM_LATENCY_BUCKETS_S,
    registers,
  });
  const retries = new Counter({
    name: 'keel_retries_total',
    help: 'Attempts that retried the same deployment after a transient failure, by deployment.',
    labelNames: ['deployment'] as const,
    registers,
  });
  const failovers = new Counter({
    name: 'keel_failovers_total',
    help: 'Attempts that moved a request to another deployment of its route, by route and the deployment failed over to.',
    labelNames: ['route', 'deployment'] as const,
    registers,
  });
  const hedges = new Counter({
    name: 'keel_hedges_total',
    help: 'Hedged attempts started because the first deployment was slow, by route and hedge deployment.',
    labelNames: ['route', 'deployment'] as const,
    registers,
  });
  const tokens = talliedCounter({
    name: 'keel_tokens_total',
    help: 'Tokens reported by providers, by deployment and direction (input, output).',
    labelNames: ['deployment', 'direction'] as const,
    registers,
  });
  const shed = new Counter({
    name: 'keel_shed_requests_total',
    help: 'Requests refused with rate_limited before any upstream attempt (Keel over capacity), by priority.',
    labelNames: ['priority'] as const,
    registers,
  });
  const degraded = new Counter({
    name: 'keel_degraded_responses_total',
    help: 'Requests answered from the degraded-answer cache or the static message because no deployment answered, by route and kind.',
    labelNames: ['route', 'kind'] as const,
    registers,
  });
  const transitions = new Counter({
    name: 'keel_circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by deployment, from and to state.',
    labelNames: ['deployment', 'from', 'to'] as const,
    registers,
  });

  new Gauge({
    name: 'keel_circuit_breaker_state',
    help: 'Circuit breaker state per deployment: 0 closed, 1 half-open, 2 open, 3 forced open.',
    labelNames: ['deployment'] as const,
    registers,
    collect() {
      this.reset(); // a reset router forgets its breakers: so do we
      const snapshots = router.breakerStates();
      for (const id of deployments) this.set({ deployment: id }, 0);
      for (const [id, snapshot] of Object.entries(snapshots)) this.set({ deployment: id }, BREAKER_STATE_VALUE[snapshot.state.state]);
    },
  });
  new Gauge({
    name: 'keel_in_flight_requests',
    help: 'Client requests admitted and not yet finished.',
    registers,
    collect() {
      this.set(router.load().inFlight);
    },
  });
  new Gauge({
    name: 'keel_queued_requests',
    help: 'Client requests waiting in the admission queue.',
    registers,
    collect() {
      this.set(router.load().queued);
    },
  });
  new Gauge({
    name: 'keel_deployment_concurrency_limit',
    help: 'The adaptive concurrency limit of each deployment (upstream calls allowed at once).',
    labelNames: ['deployment'] as const,
    registers,
    collect() {
      this.reset();
      const load = router.load();
      for (const id of deployments) this.set({ deployment: id }, load.deployment(id).limit);
    },
  });
  new Gauge({
    name: 'keel_deployment_in_flight_attempts',
    help: 'Upstream calls in progress per deployment.',
    labelNames: ['deployment'] as const,
    registers,
    collect() {
      this.reset();
      const load = router.load();
      for (const id of deployments) this.set({ deployment: id }, load.deployment(id).inFlight);
    },
  });

  const onAttempt = (a: AttemptRecord): void => {
    deployments.add(a.deployment);
    attempts.add(1, a.deployment, a.provider, a.cancelled === true ? 'cancelled' : a.outcome, a.kind);
    attemptDuration.observe(msToS(a.latencyMs), a.deployment);
    if (a.kind === 'retry') retries.inc({ deployment: a.deployment });
    else if (a.kind === 'failover') failovers.inc({ route: a.route, deployment: a.deployment });
    else if (a.kind === 'hedge') hedges.inc({ route: a.route, deployment: a.deployment });
    if (a.usage !== undefined) {
      tokens.add(a.usage.inputTokens, a.deployment, 'input');
      tokens.add(a.usage.outputTokens, a.deployment, 'output');
    }
  };

  const onRequest = (r: RequestRecord): void => {
    requests.add(1, r.route, r.outcome, r.clientFormat, r.stream ? 'true' : 'false');
    requestDuration.observe(msToS(r.latencyMs), r.route);
    if (r.outcome === 'rate_limited' && r.attempts.length === 0) shed.inc({ priority: r.priority });
    if (r.degraded !== undefined) degraded.inc({ route: r.route, kind: r.degraded });
    const ttftS = timeToFirstTokenS(r);
    if (ttftS !== undefined) timeToFirstToken.observe(ttftS, r.route);
  };

  const onBreaker = (e: CircuitStateChangeEvent): void => {
    transitions.inc({ deployment: e.deploymentId, from: e.from, to: e.to });
  };

  const unsubscribe = [router.events.on('attempt', onAttempt), router.events.on('request', onRequest), router.events.on('breaker', onBreaker)];

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close() {
      for (const off of unsubscribe) off();
      registry.clear();
    },
  };
}

/** What a streaming client waited for its first content: failed attempts before the answer included. */
function timeToFirstTokenS(r: RequestRecord): number | undefined {
  if (!r.stream || r.deployment === undefined) return undefined;
  const answered = r.attempts.findLast((a) => a.deployment === r.deployment && a.outcome === 'ok' && a.ttftMs !== undefined);
  if (answered?.ttftMs === undefined) return undefined;
  return msToS(answered.startedAtMs - r.startedAtMs + answered.ttftMs);
}
