/**
 * The one place a window of attempts becomes a component status in the status-page vocabulary. Pure: the
 * windows, the breaker's state, maintenance and the latency baseline go in; a status, how confident it
 * is and a human reason come out. Order matters: maintenance wins, then an open breaker with no
 * successes, then the error rate of the first window with enough volume, then latency.
 */
import type { ComponentStatus } from '../store/store.js';
import { HEALTH_DEFAULTS } from './health-defaults.js';
import type { Percentiles } from './histogram.js';

export type HealthThresholds = { -readonly [K in keyof typeof HEALTH_DEFAULTS]: number };

/** The breaker as health sees it (closed until an event says otherwise). */
export type BreakerView = 'closed' | 'open' | 'half_open' | 'forced_open';

export interface WindowStats {
  windowMs: number;
  /** Attempts that were not cancelled, probes included (or a route's requests). */
  attempts: number;
  probes: number;
  /** By outcome (attempts) or by `ok` / error code (a route's requests). */
  outcomes: Record<string, number>;
  successes: number;
  /** Attempts whose outcome is a provider fault (`isProviderFault`), or requests Keel failed to serve. */
  faults: number;
  /** faults / attempts; 0 for an empty window. */
  errorRate: number;
  latencyMs: Percentiles | undefined;
  ttftMs: Percentiles | undefined;
}

export interface Judgement {
  status: ComponentStatus;
  /** `low`: too little traffic to judge; the status is a guess and a probe would help. */
  confidence: 'high' | 'low';
  /** Which evidence decided. */
  basis: 'maintenance' | 'breaker' | 'short_window' | 'long_window' | 'none';
  reason: string;
}

export interface JudgeInput {
  short: WindowStats;
  long: WindowStats;
  breaker: BreakerView;
  maintenance: boolean;
  /** The learned p95 TTFT when healthy, if known. */
  baselineP95Ms: number | undefined;
  thresholds: HealthThresholds;
}

const pct = (rate: number): string => `${(rate * 100).toFixed(rate >= 0.1 ? 0 : 1)}%`;

export function isBreakerOpen(breaker: BreakerView): boolean {
  return breaker === 'open' || breaker === 'half_open' || breaker === 'forced_open';
}

export function judgeStatus(input: JudgeInput): Judgement {
  const { short, long, breaker, thresholds: t } = input;
  if (input.maintenance) return { status: 'under_maintenance', confidence: 'high', basis: 'maintenance', reason: 'a declared maintenance window covers now' };
  if (isBreakerOpen(breaker)) {
    if (short.successes === 0) return { status: 'major_outage', confidence: 'high', basis: 'breaker', reason: `circuit breaker ${breaker.replace('_', '-')}, no successful call in the last minute` };
    // Some calls succeed but the breaker judged the failure rate past its threshold moments ago.
    return { status: 'partial_outage', confidence: 'high', basis: 'breaker', reason: `circuit breaker ${breaker.replace('_', '-')} after recent failures` };
  }
  const window = short.attempts >= t.minAttemptsShort ? short : long.attempts >= t.minAttemptsLong ? long : undefined;
  if (window === undefined) {
    return { status: 'operational', confidence: 'low', basis: 'none', reason: `too little traffic to judge (${long.attempts} calls in ${long.windowMs / 60_000} min)` };
  }
  const basis = window === short ? 'short_window' : 'long_window';
  const over = `${pct(window.errorRate)} of ${window.attempts} calls failed in the last ${window.windowMs / 60_000} min`;
  if (window.errorRate >= t.majorOutageErrorRate) return { status: 'major_outage', confidence: 'high', basis, reason: over };
  if (window.errorRate >= t.partialOutageErrorRate) return { status: 'partial_outage', confidence: 'high', basis, reason: over };
  if (window.errorRate >= t.degradedErrorRate) return { status: 'degraded_performance', confidence: 'high', basis, reason: over };
  const p95 = window.ttftMs?.p95;
  const baseline = input.baselineP95Ms;
  if (p95 !== undefined && baseline !== undefined && p95 > baseline * t.latencyDegradedFactor && p95 - baseline >= t.latencyMinExcessMs) {
    return { status: 'degraded_performance', confidence: 'high', basis, reason: `p95 time to first token ${p95} ms, usually ${Math.round(baseline)} ms` };
  }
  return { status: 'operational', confidence: 'high', basis, reason: `${pct(window.errorRate)} of ${window.attempts} calls failed in the last ${window.windowMs / 60_000} min` };
}

/** Worst first: the order status pages sort by and aggregate with. */
export const STATUS_SEVERITY: Record<ComponentStatus, number> = {
  major_outage: 4,
  partial_outage: 3,
  degraded_performance: 2,
  under_maintenance: 1,
  operational: 0,
};

export function worstStatus(statuses: readonly ComponentStatus[]): ComponentStatus {
  return statuses.reduce<ComponentStatus>((worst, s) => (STATUS_SEVERITY[s] > STATUS_SEVERITY[worst] ? s : worst), 'operational');
}
