/**
 * What the operator console's traffic view shows: the last minutes of client requests per route and of
 * upstream attempts per deployment, from the router's events. Kept in per-minute buckets (a fixed set of
 * counters and a log-scale latency histogram each), so memory is bounded whatever the traffic and a
 * request costs a few increments. Percentiles are read from the merged histograms of the minutes asked
 * for: each is the upper edge of its bucket, within 10% of the true value.
 */
import type { AttemptRecord, RequestRecord, RouterEvents } from '../router/router-types.js';
import type { TypedEmitter } from '../resilience/index.js';

const MINUTE_MS = 60_000;
/** How many minutes are kept; the view asks for at most this many. */
const KEPT_MINUTES = 15;
// Bucket i holds latencies up to FIRST_EDGE_MS × GROWTH^i: 1 ms to ~20 min in 150 buckets, each 10% wide.
const FIRST_EDGE_MS = 1;
const GROWTH = 1.1;
const BUCKETS = 150;
const LOG_GROWTH = Math.log(GROWTH);

class Histogram {
  readonly counts = new Uint32Array(BUCKETS);
  count = 0;

  add(ms: number): void {
    const i = ms <= FIRST_EDGE_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FIRST_EDGE_MS) / LOG_GROWTH));
    this.counts[i]!++;
    this.count++;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
  }

  /** The latency at quantile `q` (0..1), or undefined without data. */
  quantile(q: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.round(FIRST_EDGE_MS * GROWTH ** i * 10) / 10;
    }
    return undefined;
  }
}

interface RouteMinute {
  requests: number;
  ok: number;
  degraded: number;
  /** Failed requests by the error code the client got. */
  errors: Map<string, number>;
  /** Requests that needed more than one attempt to be answered. */
  failedOver: number;
  /** Answered requests by the deployment that answered (`degraded` for a cached or static answer). */
  answeredBy: Map<string, number>;
  latency: Histogram;
  /** First content of answered streams. */
  ttft: Histogram;
}

interface DeploymentMinute {
  attempts: number;
  ok: number;
  /** Failed attempts by outcome (`server_error`, `timeout`, `breaker_open`...). */
  failures: Map<string, number>;
  /** Attempts that were a failover to this deployment, a retry on it, a hedge. */
  failovers: number;
  retries: number;
  hedges: number;
  latency: Histogram;
  ttft: Histogram;
}

export interface Percentiles {
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

export interface RouteTraffic {
  route: string;
  requests: number;
  ok: number;
  degraded: number;
  failedOver: number;
  errors: Record<string, number>;
  answeredBy: Record<string, number>;
  latencyMs: Percentiles;
  ttftMs: Percentiles;
  /** Requests per minute, oldest first, the current (partial) minute last. */
  perMinute: number[];
}

export interface DeploymentTraffic {
  deployment: string;
  attempts: number;
  ok: number;
  failures: Record<string, number>;
  failovers: number;
  retries: number;
  hedges: number;
  latencyMs: Percentiles;
  ttftMs: Percentiles;
  perMinute: number[];
}

export interface TrafficSnapshot {
  atMs: number;
  minutes: number;
  routes: RouteTraffic[];
  deployments: DeploymentTraffic[];
  /** Client requests per tenant over the same minutes (a key's tenant), for usage against limits. */
  tenants: Record<string, number>;
  /** Tokens (input + output, as the providers reported them) per tenant over the same minutes. */
  tenantTokens: Record<string, number>;
}

interface Minute {
  startMs: number;
  routes: Map<string, RouteMinute>;
  deployments: Map<string, DeploymentMinute>;
  /** Per tenant, both counts in one entry: a keyed request finds its tenant once, not four times. */
  tenants: Map<string, TenantMinute>;
}

interface TenantMinute {
  requests: number;
  tokens: number;
}

const bump = (map: Map<string, number>, key: string, n = 1): void => {
  map.set(key, (map.get(key) ?? 0) + n);
};

const addAll = (into: Map<string, number>, from: Map<string, number>): void => {
  for (const [key, n] of from) bump(into, key, n);
};

const percentiles = (h: Histogram): Percentiles => ({ p50: h.quantile(0.5), p95: h.quantile(0.95), p99: h.quantile(0.99) });

export class LiveTraffic {
  private readonly minutes: Minute[] = [];

  constructor(private readonly nowMs: () => number) {}

  /** Subscribes to a router's events; returns the unsubscribe. */
  attach(events: TypedEmitter<RouterEvents>): () => void {
    const offRequest = events.on('request', (r) => this.recordRequest(r));
    const offAttempt = events.on('attempt', (a) => this.recordAttempt(a));
    return () => {
      offRequest();
      offAttempt();
    };
  }

  recordRequest(r: RequestRecord): void {
    const minute = this.minute();
    let m = minute.routes.get(r.route);
    if (m === undefined) {
      m = { requests: 0, ok: 0, degraded: 0, errors: new Map(), failedOver: 0, answeredBy: new Map(), latency: new Histogram(), ttft: new Histogram() };
      minute.routes.set(r.route, m);
    }
    m.requests++;
    if (r.outcome === 'ok') {
      m.ok++;
      bump(m.answeredBy, r.degraded === undefined ? (r.deployment ?? 'unknown') : 'degraded');
    } else bump(m.errors, r.outcome);
    if (r.degraded !== undefined) m.degraded++;
    if (r.attempts.some((a) => a.kind === 'failover')) m.failedOver++;
    m.latency.add(r.latencyMs);
    const answering = r.attempts.find((a) => a.outcome === 'ok' && a.deployment === r.deployment);
    if (r.stream && answering?.ttftMs !== undefined) m.ttft.add(answering.ttftMs);
    if (r.tenant !== undefined) {
      let tenant = minute.tenants.get(r.tenant);
      if (tenant === undefined) minute.tenants.set(r.tenant, (tenant = { requests: 0, tokens: 0 }));
      tenant.requests++;
      for (const a of r.attempts) if (a.usage !== undefined) tenant.tokens += a.usage.inputTokens + a.usage.outputTokens;
    }
  }

  recordAttempt(a: AttemptRecord): void {
    // Synthetic probes of an open breaker are not client traffic.
    if (a.kind === 'recovery_probe') return;
    const minute = this.minute();
    let m = minute.deployments.get(a.deployment);
    if (m === undefined) {
      m = { attempts: 0, ok: 0, failures: new Map(), failovers: 0, retries: 0, hedges: 0, latency: new Histogram(), ttft: new Histogram() };
      minute.deployments.set(a.deployment, m);
    }
    m.attempts++;
    if (a.outcome === 'ok') m.ok++;
    else bump(m.failures, a.cancelled === true ? 'cancelled' : a.outcome);
    if (a.kind === 'failover') m.failovers++;
    else if (a.kind === 'retry') m.retries++;
    else if (a.kind === 'hedge') m.hedges++;
    m.latency.add(a.latencyMs);
    if (a.ttftMs !== undefined) m.ttft.add(a.ttftMs);
  }

  /** The last `minutes` minutes (the current one included), busiest routes and deployments first. */
  snapshot(minutes = 5): TrafficSnapshot {
    const atMs = this.nowMs();
    const span = Math.max(1, Math.min(KEPT_MINUTES, Math.floor(minutes)));
    const currentStart = atMs - (atMs % MINUTE_MS);
    const starts = Array.from({ length: span }, (_, i) => currentStart - (span - 1 - i) * MINUTE_MS);
    const byStart = new Map(this.minutes.map((m) => [m.startMs, m]));
    const window = starts.map((s) => byStart.get(s));

    const routeNames = new Set(window.flatMap((m) => (m === undefined ? [] : [...m.routes.keys()])));
    const routes = [...routeNames].map((route): RouteTraffic => {
      const sum = { requests: 0, ok: 0, degraded: 0, failedOver: 0, errors: new Map<string, number>(), answeredBy: new Map<string, number>(), latency: new Histogram(), ttft: new Histogram() };
      const perMinute = window.map((m) => {
        const r = m?.routes.get(route);
        if (r === undefined) return 0;
        sum.requests += r.requests;
        sum.ok += r.ok;
        sum.degraded += r.degraded;
        sum.failedOver += r.failedOver;
        addAll(sum.errors, r.errors);
        addAll(sum.answeredBy, r.answeredBy);
        sum.latency.merge(r.latency);
        sum.ttft.merge(r.ttft);
        return r.requests;
      });
      return { route, requests: sum.requests, ok: sum.ok, degraded: sum.degraded, failedOver: sum.failedOver, errors: Object.fromEntries(sum.errors), answeredBy: Object.fromEntries(sum.answeredBy), latencyMs: percentiles(sum.latency), ttftMs: percentiles(sum.ttft), perMinute };
    });

    const deploymentIds = new Set(window.flatMap((m) => (m === undefined ? [] : [...m.deployments.keys()])));
    const deployments = [...deploymentIds].map((deployment): DeploymentTraffic => {
      const sum = { attempts: 0, ok: 0, failovers: 0, retries: 0, hedges: 0, failures: new Map<string, number>(), latency: new Histogram(), ttft: new Histogram() };
      const perMinute = window.map((m) => {
        const d = m?.deployments.get(deployment);
        if (d === undefined) return 0;
        sum.attempts += d.attempts;
        sum.ok += d.ok;
        sum.failovers += d.failovers;
        sum.retries += d.retries;
        sum.hedges += d.hedges;
        addAll(sum.failures, d.failures);
        sum.latency.merge(d.latency);
        sum.ttft.merge(d.ttft);
        return d.attempts;
      });
      return { deployment, attempts: sum.attempts, ok: sum.ok, failures: Object.fromEntries(sum.failures), failovers: sum.failovers, retries: sum.retries, hedges: sum.hedges, latencyMs: percentiles(sum.latency), ttftMs: percentiles(sum.ttft), perMinute };
    });

    const tenants = new Map<string, number>();
    const tenantTokens = new Map<string, number>();
    for (const m of window) {
      if (m === undefined) continue;
      for (const [tenant, counts] of m.tenants) {
        bump(tenants, tenant, counts.requests);
        if (counts.tokens > 0) bump(tenantTokens, tenant, counts.tokens);
      }
    }
    routes.sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route));
    deployments.sort((a, b) => b.attempts - a.attempts || a.deployment.localeCompare(b.deployment));
    return { atMs, minutes: span, routes, deployments, tenants: Object.fromEntries(tenants), tenantTokens: Object.fromEntries(tenantTokens) };
  }

  private minute(): Minute {
    const now = this.nowMs();
    const startMs = now - (now % MINUTE_MS);
    const last = this.minutes[this.minutes.length - 1];
    if (last !== undefined && last.startMs === startMs) return last;
    // A clock that stepped back lands in the newest minute rather than reordering the ring.
    if (last !== undefined && startMs < last.startMs) return last;
    const minute: Minute = { startMs, routes: new Map(), deployments: new Map(), tenants: new Map() };
    this.minutes.push(minute);
    while (this.minutes.length > 0 && this.minutes[0]!.startMs <= startMs - KEPT_MINUTES * MINUTE_MS) this.minutes.shift();
    return minute;
  }
}
