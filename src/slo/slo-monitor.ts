/**
 * Evaluates every SLO on an injected clock from the store's rollups: the error budget left in its rolling
 * window, and the burn-rate alerts (firing or not, since when). A change of an alert's state is sent as a
 * signed webhook (`slo.alert.firing` / `slo.alert.resolved`); the latest evaluation is kept as plain data
 * for the admin API (`status()`). Nothing here throws into its caller: a failed read is reported to
 * `onError` and the previous evaluation stays.
 */
import type { Clock } from '../core/clock.js';
import type { IntervalTimer } from '../store/interval-timer.js';
import type { Store } from '../store/store.js';
import { errorBudget, evaluateRules, type ErrorBudget } from './burn-rate.js';
import { SliSeries } from './sli-series.js';
import { BURN_RATE_RULES, SLO_DAY_MS, type AlertSeverity, type BurnRateRule, type SloDefinition } from './slo-definition.js';

export const SLO_MONITOR_DEFAULTS = {
  // Well under the fastest detection the rules allow (~52 s for a total outage on 99.9%), so a page is
  // never late by more than a few seconds; each tick reads only the last few minutes of rollups.
  evaluateIntervalMs: 15_000, // 15 s
} as const;

export interface AlertStatus {
  slo: string;
  route: string;
  alert: string;
  severity: AlertSeverity;
  burnRateThreshold: number;
  longWindowMs: number;
  shortWindowMs: number;
  longBurnRate: number;
  shortBurnRate: number;
  firing: boolean;
  /** When the current firing began (first evaluation that saw it). */
  firingSinceMs?: number;
}

export interface SloStatus {
  slo: SloDefinition;
  budget: ErrorBudget;
  alerts: AlertStatus[];
}

export interface SloSnapshot {
  evaluatedAtMs: number;
  slos: SloStatus[];
  /** Every alert firing now, pages first. */
  firing: AlertStatus[];
}

export interface SloAlertEvent {
  type: 'slo.alert.firing' | 'slo.alert.resolved';
  at: string;
  alert: AlertStatus;
  budgetRemaining: number;
}

export interface AlertSink {
  send(event: SloAlertEvent): Promise<unknown>;
}

export interface SloMonitorOptions {
  store: Pick<Store, 'readRollups'>;
  clock: Clock;
  slos: readonly SloDefinition[];
  rules?: readonly BurnRateRule[];
  /** Where alert changes go (a `WebhookSender`); none: the state is only kept for `status()`. */
  sink?: AlertSink;
  onError?: (error: unknown) => void;
  refreshMinutes?: number;
}

export class SloMonitor {
  private readonly rules: readonly BurnRateRule[];
  private readonly series: Map<string, SliSeries>;
  private readonly firingSince = new Map<string, number>();
  private last: SloSnapshot | undefined;
  private readonly deliveries = new Set<Promise<unknown>>();

  constructor(private readonly options: SloMonitorOptions) {
    this.rules = options.rules ?? BURN_RATE_RULES;
    const names = new Set<string>();
    for (const slo of options.slos) {
      if (names.has(slo.name)) throw new Error(`SLO names must be unique: "${slo.name}" is used twice`);
      names.add(slo.name);
    }
    const longestRuleMs = Math.max(0, ...this.rules.map((r) => Math.max(r.longWindowMs, r.shortWindowMs)));
    this.series = new Map(
      options.slos.map((slo) => [slo.name, new SliSeries(slo, Math.max(slo.windowDays * SLO_DAY_MS, longestRuleMs) + 60_000, refreshOption(options.refreshMinutes))]),
    );
  }

  /** Reads new rollups, recomputes budgets and alerts, and sends the alerts that changed. */
  async evaluate(): Promise<SloSnapshot | undefined> {
    const nowMs = this.options.clock.now();
    try {
      const slos: SloStatus[] = [];
      for (const slo of this.options.slos) {
        const series = this.series.get(slo.name)!;
        await series.refresh(this.options.store, nowMs);
        const windowMs = slo.windowDays * SLO_DAY_MS;
        const budget = errorBudget(series.window(nowMs, windowMs), windowMs, slo.target);
        const alerts = evaluateRules(series, slo.target, nowMs, this.rules).map((e) => this.track(slo, e, nowMs, budget));
        slos.push({ slo, budget, alerts });
      }
      const firing = slos.flatMap((s) => s.alerts.filter((a) => a.firing)).sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
      this.last = { evaluatedAtMs: nowMs, slos, firing };
    } catch (error) {
      this.report(error);
    }
    return this.last;
  }

  /** The latest evaluation, as data for the admin API (`GET /admin/slo`); undefined before the first. */
  status(): SloSnapshot | undefined {
    return this.last;
  }

  /** Evaluates every `intervalMs` until the returned function is called. */
  start(timer: IntervalTimer, intervalMs: number = SLO_MONITOR_DEFAULTS.evaluateIntervalMs): () => void {
    return timer(intervalMs, () => void this.evaluate());
  }

  /** Resolves when every webhook delivery started so far has finished (for shutdown and tests). */
  async idle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  private track(slo: SloDefinition, e: ReturnType<typeof evaluateRules>[number], nowMs: number, budget: ErrorBudget): AlertStatus {
    const key = `${slo.name}\u0000${e.rule.name}`;
    const wasFiring = this.firingSince.has(key);
    if (e.firing && !wasFiring) this.firingSince.set(key, nowMs);
    const since = this.firingSince.get(key);
    if (!e.firing) this.firingSince.delete(key);
    const alert: AlertStatus = {
      slo: slo.name,
      route: slo.route,
      alert: e.rule.name,
      severity: e.rule.severity,
      burnRateThreshold: e.rule.burnRate,
      longWindowMs: e.rule.longWindowMs,
      shortWindowMs: e.rule.shortWindowMs,
      longBurnRate: e.long.burnRate,
      shortBurnRate: e.short.burnRate,
      firing: e.firing,
      ...(since === undefined ? {} : { firingSinceMs: since }),
    };
    if (e.firing !== wasFiring) this.notify({ type: e.firing ? 'slo.alert.firing' : 'slo.alert.resolved', at: new Date(nowMs).toISOString(), alert, budgetRemaining: budget.remaining });
    return alert;
  }

  private notify(event: SloAlertEvent): void {
    const sink = this.options.sink;
    if (sink === undefined) return;
    const delivery = sink.send(event).catch((error: unknown) => this.report(error));
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // Nothing left to tell.
    }
  }
}

function severityRank(s: AlertSeverity): number {
  return s === 'page' ? 0 : 1;
}

function refreshOption(refreshMinutes: number | undefined): { refreshMinutes?: number } {
  return refreshMinutes === undefined ? {} : { refreshMinutes };
}
