/**
 * Passive health from live traffic: every finished attempt lands in its deployment's sliding windows,
 * every client request in its route's, every breaker change in a small timeline. `evaluate()` judges each
 * deployment, provider, route and Keel as a whole in the status-page vocabulary, with the figures behind
 * it (counts by outcome, error rate, latency and TTFT percentiles). Cancelled attempts say nothing about
 * a provider and are ignored; probe attempts (request id `probe_…`) count for a deployment's health,
 * flagged, but never for a route's. Nothing here throws into the router: listeners are guarded.
 */
import type { Clock } from '../core/clock.js';
import { guarded } from '../core/guarded.js';
import { isProviderFault, type Outcome } from '../core/outcome.js';
import type { ComponentStatus } from '../store/store.js';
import { HEALTH_DEFAULTS } from './health-defaults.js';
import { isBreakerOpen, judgeStatus, worstStatus, type BreakerView, type HealthThresholds, type Judgement, type WindowStats } from './judge-status.js';
import { componentOfDeployment, componentOfProvider, componentOfRoute, KEEL_COMPONENT, type MaintenanceCalendar } from './maintenance-calendar.js';
import { isProbeRequestId } from './probe-id.js';
import { isServedFailure } from './served-outcome.js';
import { statsOf, WindowSeries, type SeriesBucket } from './window-series.js';

/** What health reads of the router's `attempt` event. */
export interface HealthAttempt {
  requestId: string;
  deployment: string;
  outcome: Outcome;
  startedAtMs: number;
  latencyMs: number;
  ttftMs?: number | undefined;
  cancelled?: boolean | undefined;
}
/** What health reads of the router's `request` event. */
export interface HealthRequest {
  requestId: string;
  route: string;
  outcome: string;
  degraded?: string | undefined;
  startedAtMs: number;
  latencyMs: number;
}
/** What health reads of the router's `breaker` event. */
export interface HealthBreakerChange {
  deploymentId: string;
  to: BreakerView;
  atMs: number;
}

export interface HealthEvents {
  attempt: HealthAttempt;
  request: HealthRequest;
  breaker: HealthBreakerChange;
}
/** The router's `events` fits this (structural: health needs no router instance). */
export interface HealthEventSource {
  on<K extends keyof HealthEvents>(name: K, listener: (event: HealthEvents[K]) => void): () => void;
}

export interface DeploymentHealth extends Judgement {
  component: string;
  deployment: string;
  provider: string;
  breaker: BreakerView;
  /** Too little traffic to judge, or the breaker is open: an active probe would tell more. */
  needsProbe: boolean;
  short: WindowStats;
  long: WindowStats;
  baselineP95Ms: number | undefined;
}
export interface GroupHealth {
  component: string;
  name: string;
  status: ComponentStatus;
  reason: string;
  short: WindowStats;
  long: WindowStats;
}
export interface RouteHealth extends Judgement {
  component: string;
  route: string;
  short: WindowStats;
  long: WindowStats;
}
export interface HealthSnapshot {
  atMs: number;
  keel: { component: string; status: ComponentStatus; reason: string };
  providers: GroupHealth[];
  deployments: DeploymentHealth[];
  routes: RouteHealth[];
}

export interface HealthWindowsOptions {
  clock: Clock;
  deployments: Iterable<{ id: string; provider: string }>;
  /** Route names known up front (others appear as their requests arrive). */
  routes?: Iterable<string>;
  calendar?: MaintenanceCalendar;
  thresholds?: Partial<HealthThresholds>;
  onError?: (error: unknown) => void;
}

interface DeploymentState {
  provider: string;
  series: WindowSeries;
  breaker: BreakerView;
  /** Breaker changes over the retention, plus the last one before it: was it open during a bucket? */
  breakerTimeline: { atMs: number; open: boolean }[];
  baseline: { p95Ms: number; samples: number; atMs: number } | undefined;
  /** Where history from the store was added (see `addCounted`): never added twice. */
  seeded: Set<number>;
}

export class HealthWindows {
  readonly thresholds: HealthThresholds;
  private readonly deployments = new Map<string, DeploymentState>();
  private readonly routes = new Map<string, WindowSeries>();
  /** When these windows began following a router (`attach`): earlier attempts were not seen here. */
  private watchingSinceMs: number | undefined;

  constructor(private readonly options: HealthWindowsOptions) {
    this.thresholds = { ...HEALTH_DEFAULTS, ...options.thresholds };
    for (const d of options.deployments) this.state(d.id, d.provider);
    for (const r of options.routes ?? []) this.route(r);
  }

  /** Subscribes to a router's events; returns the function that unsubscribes. */
  attach(events: HealthEventSource): () => void {
    this.watchingSinceMs ??= this.options.clock.now();
    const onError = (error: unknown): void => this.options.onError?.(error);
    const offs = [
      events.on('attempt', guarded((e: HealthAttempt) => this.recordAttempt(e), onError)),
      events.on('request', guarded((e: HealthRequest) => this.recordRequest(e), onError)),
      events.on('breaker', guarded((e: HealthBreakerChange) => this.recordBreaker(e), onError)),
    ];
    return () => offs.forEach((off) => off());
  }

  recordAttempt(a: HealthAttempt): void {
    if (a.cancelled === true) return;
    const fault = isProviderFault(a.outcome);
    this.state(a.deployment).series.add(a.startedAtMs + a.latencyMs, {
      outcome: a.outcome,
      success: a.outcome === 'ok',
      fault,
      probe: isProbeRequestId(a.requestId),
      latencyMs: a.latencyMs,
      ttftMs: a.outcome === 'ok' ? a.ttftMs : undefined,
    });
  }

  recordRequest(r: HealthRequest): void {
    if (isProbeRequestId(r.requestId)) return;
    const outcome = r.degraded === undefined ? r.outcome : 'degraded';
    const failed = isServedFailure(outcome);
    this.route(r.route).add(r.startedAtMs + r.latencyMs, { outcome, success: outcome === 'ok', fault: failed, probe: false, latencyMs: r.latencyMs });
  }

  recordBreaker(e: HealthBreakerChange): void {
    const state = this.state(e.deploymentId);
    state.breaker = e.to;
    state.breakerTimeline.push({ atMs: e.atMs, open: isBreakerOpen(e.to) });
    const keepFrom = e.atMs - this.thresholds.longWindowMs - this.thresholds.bucketMs;
    while (state.breakerTimeline.length > 1 && state.breakerTimeline[1]!.atMs < keepFrom) state.breakerTimeline.shift();
  }

  /**
   * Whether [fromMs, toMs) of the deployment is already known here: watched live from its start (attempts
   * landed in it, and the windows were already following the router when it began), or seeded before.
   */
  covers(id: string, fromMs: number, toMs: number): boolean {
    const state = this.deployments.get(id);
    if (state === undefined) return false;
    if (state.seeded.has(fromMs)) return true;
    const watchedFromStart = this.watchingSinceMs === undefined || this.watchingSinceMs <= fromMs;
    return watchedFromStart && state.series.hasAttempts(fromMs, toMs);
  }

  /**
   * Adds attempts counted elsewhere — a stored rollup of the whole cluster's traffic — at `atMs`, so a
   * replica that takes over the detector judges the history it did not watch (see seed-from-rollups.ts).
   */
  addCounted(id: string, atMs: number, outcomes: Record<string, number>, probe: boolean): void {
    const state = this.state(id);
    state.seeded.add(atMs);
    // Only the retention can be judged: older seeded marks are forgotten with their buckets.
    for (const mark of state.seeded) if (mark < atMs - this.thresholds.longWindowMs - 60_000) state.seeded.delete(mark);
    let successes = 0;
    let faults = 0;
    for (const [outcome, n] of Object.entries(outcomes)) {
      if (outcome === 'ok') successes += n;
      if (isProviderFault(outcome as Outcome)) faults += n;
    }
    const probes = probe ? Object.values(outcomes).reduce((a, b) => a + b, 0) : 0;
    state.series.addCounts(atMs, { outcomes, successes, faults, probes });
  }

  deploymentIds(): string[] {
    return [...this.deployments.keys()];
  }

  evaluateDeployment(id: string, nowMs = this.options.clock.now()): DeploymentHealth {
    const state = this.state(id);
    const t = this.thresholds;
    const short = statsOf(state.series.window(nowMs, t.shortWindowMs), t.shortWindowMs);
    const long = statsOf(state.series.window(nowMs, t.longWindowMs), t.longWindowMs);
    const component = componentOfDeployment(id);
    const maintenance = this.options.calendar?.covering(component, nowMs, state.provider) !== undefined;
    const baselineP95Ms = state.baseline !== undefined && state.baseline.samples >= t.baselineMinSamples ? state.baseline.p95Ms : undefined;
    const judgement = judgeStatus({ short, long, breaker: state.breaker, maintenance, baselineP95Ms, thresholds: t });
    this.learnBaseline(state, long, nowMs);
    const needsProbe = !maintenance && (judgement.confidence === 'low' || isBreakerOpen(state.breaker));
    return { ...judgement, component, deployment: id, provider: state.provider, breaker: state.breaker, needsProbe, short, long, baselineP95Ms };
  }

  evaluate(nowMs = this.options.clock.now()): HealthSnapshot {
    const t = this.thresholds;
    const deployments = [...this.deployments.keys()].map((id) => this.evaluateDeployment(id, nowMs));
    const byProvider = new Map<string, DeploymentHealth[]>();
    for (const d of deployments) byProvider.set(d.provider, [...(byProvider.get(d.provider) ?? []), d]);
    const providers = [...byProvider].map(([name, members]): GroupHealth => {
      const buckets = (windowMs: number): SeriesBucket[] => members.flatMap((m) => [...this.state(m.deployment).series.window(nowMs, windowMs)]);
      return {
        component: componentOfProvider(name),
        name,
        ...aggregate(members.map((m) => ({ name: m.deployment, status: m.status }))),
        short: statsOf(buckets(t.shortWindowMs), t.shortWindowMs),
        long: statsOf(buckets(t.longWindowMs), t.longWindowMs),
      };
    });
    const routes = [...this.routes].map(([name, series]): RouteHealth => {
      const short = statsOf(series.window(nowMs, t.shortWindowMs), t.shortWindowMs);
      const long = statsOf(series.window(nowMs, t.longWindowMs), t.longWindowMs);
      const maintenance = this.options.calendar?.covering(componentOfRoute(name), nowMs) !== undefined;
      return { component: componentOfRoute(name), route: name, short, long, ...judgeStatus({ short, long, breaker: 'closed', maintenance, baselineP95Ms: undefined, thresholds: t }) };
    });
    const keel = { component: KEEL_COMPONENT, ...aggregate(routes.map((r) => ({ name: `route ${r.route}`, status: r.status }))) };
    return { atMs: nowMs, keel, providers, deployments, routes };
  }

  /** Whether the breaker was open at any time in [fromMs, toMs). */
  breakerOpenDuring(id: string, fromMs: number, toMs: number): boolean {
    const timeline = this.state(id).breakerTimeline;
    let openAtStart = false;
    for (const entry of timeline) {
      if (entry.atMs <= fromMs) openAtStart = entry.open;
      else if (entry.atMs < toMs && entry.open) return true;
    }
    return openAtStart;
  }

  /**
   * The run of bad buckets ending now, for the detector: a bucket is bad when at least the partial-outage
   * share of its attempts failed, or the breaker was open in it and nothing succeeded; an empty bucket with
   * the breaker closed is neutral (no evidence either way), a good one ends the run. Returns the start of
   * the run's first bad bucket and the end of the newest bucket with failed calls in it (the breaker being
   * open between failed probes is bad, but the last *observed* failure is where measured impact ends), or
   * undefined when the newest evidence is good.
   */
  badRun(id: string, nowMs = this.options.clock.now()): { startMs: number; lastFailureEndMs: number | undefined } | undefined {
    const t = this.thresholds;
    const buckets = new Map(this.state(id).series.window(nowMs, t.longWindowMs).map((b) => [b.startMs, b]));
    let startMs: number | undefined;
    let lastFailureEndMs: number | undefined;
    for (let start = Math.floor(nowMs / t.bucketMs) * t.bucketMs; start > nowMs - t.longWindowMs - t.bucketMs; start -= t.bucketMs) {
      const bucket = buckets.get(start);
      const breakerOpen = this.breakerOpenDuring(id, start, Math.min(start + t.bucketMs, nowMs + 1));
      const failing = bucket !== undefined && bucket.attempts > 0 && bucket.faults / bucket.attempts >= t.partialOutageErrorRate;
      if (failing || (breakerOpen && (bucket?.successes ?? 0) === 0)) {
        startMs = start;
        if (failing) lastFailureEndMs ??= Math.min(start + t.bucketMs, nowMs);
      } else if (bucket !== undefined && bucket.attempts > 0) break;
    }
    return startMs === undefined ? undefined : { startMs, lastFailureEndMs };
  }

  private learnBaseline(state: DeploymentState, long: WindowStats, nowMs: number): void {
    const p95 = long.ttftMs?.p95;
    const t = this.thresholds;
    // Only healthy, judged windows teach the baseline: an outage must not redefine "normal".
    if (p95 === undefined || long.attempts < t.minAttemptsLong || long.errorRate >= t.degradedErrorRate || isBreakerOpen(state.breaker)) return;
    const b = state.baseline;
    if (b === undefined) {
      state.baseline = { p95Ms: p95, samples: 1, atMs: nowMs };
      return;
    }
    // At most one sample per bucket: the status page evaluating on every request must not weigh more.
    if (nowMs - b.atMs < t.bucketMs) return;
    // A running mean at first, then an exponentially weighted one: early samples do not anchor it for hours.
    const alpha = Math.max(1 / (b.samples + 1), 1 - Math.exp(-(nowMs - b.atMs) / t.baselineTimeConstantMs));
    state.baseline = { p95Ms: b.p95Ms + alpha * (p95 - b.p95Ms), samples: b.samples + 1, atMs: nowMs };
  }

  private state(id: string, provider = 'unknown'): DeploymentState {
    let state = this.deployments.get(id);
    if (state === undefined) {
      state = { provider, series: new WindowSeries(this.thresholds.bucketMs, this.thresholds.longWindowMs), breaker: 'closed', breakerTimeline: [], baseline: undefined, seeded: new Set() };
      this.deployments.set(id, state);
    }
    return state;
  }

  private route(name: string): WindowSeries {
    let series = this.routes.get(name);
    if (series === undefined) {
      series = new WindowSeries(this.thresholds.bucketMs, this.thresholds.longWindowMs);
      this.routes.set(name, series);
    }
    return series;
  }
}

/**
 * A group's status from its members': down only when every member is down (one bad region is not a
 * provider outage), partly down when any member is, degraded when any is, in maintenance when all are.
 */
function aggregate(members: { name: string; status: ComponentStatus }[]): { status: ComponentStatus; reason: string } {
  const count = (s: ComponentStatus): number => members.filter((m) => m.status === s).length;
  const names = (pred: (s: ComponentStatus) => boolean): string => members.filter((m) => pred(m.status)).map((m) => m.name).join(', ');
  if (members.length === 0) return { status: 'operational', reason: 'no traffic yet' };
  if (count('major_outage') === members.length) return { status: 'major_outage', reason: `all down: ${names(() => true)}` };
  if (count('under_maintenance') === members.length) return { status: 'under_maintenance', reason: 'all under maintenance' };
  const worst = worstStatus(members.map((m) => m.status).filter((s) => s !== 'under_maintenance'));
  if (worst === 'major_outage' || worst === 'partial_outage') return { status: 'partial_outage', reason: `failing: ${names((s) => s === 'major_outage' || s === 'partial_outage')}` };
  if (worst === 'degraded_performance') return { status: 'degraded_performance', reason: `degraded: ${names((s) => s === 'degraded_performance')}` };
  return { status: 'operational', reason: 'all operational' };
}
