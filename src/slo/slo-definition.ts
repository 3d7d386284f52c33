/**
 * What an SLO for Keel's own routes is, as data: which route (or `*` for all of them), which indicator
 * (availability, or latency under a histogram bound), the target and the rolling window. Also the
 * multi-window, multi-burn-rate alert rules of the Google SRE workbook ("Alerting on SLOs"), which every
 * SLO is evaluated against.
 */
import { z } from 'zod';
import { LATENCY_BUCKETS_MS } from '../store/store.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Rolling windows an SLO may use: four whole weeks (weekday-neutral) or the usual "30 days". */
export const SLO_WINDOW_DAYS = [28, 30] as const;
export type SloWindowDays = (typeof SLO_WINDOW_DAYS)[number];

export type SliSpec = { kind: 'availability' } | { kind: 'latency'; thresholdMs: number };

export interface SloDefinition {
  name: string;
  displayName?: string | undefined;
  description?: string | undefined;
  /** A route name, or `*` for every route together. */
  route: string;
  sli: SliSpec;
  /** The share of good events promised, strictly between 0 and 1 (0.999 = 99.9%). */
  target: number;
  windowDays: SloWindowDays;
}

const latencyBounds = LATENCY_BUCKETS_MS as readonly number[];

export const sloDefinitionSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/, 'expected a lowercase name of letters, digits, ".", "_" or "-"'),
  displayName: z.string().min(1).optional(),
  description: z.string().optional(),
  route: z.string().min(1),
  sli: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('availability') }),
    z.strictObject({
      kind: z.literal('latency'),
      // Latency is read from the rollups' histogram, so only its bucket bounds give an exact count.
      thresholdMs: z.number().refine((v) => latencyBounds.includes(v), `expected one of the histogram bounds: ${latencyBounds.join(', ')} (ms)`),
    }),
  ]),
  target: z.number().gt(0, 'expected a target above 0').lt(1, 'expected a target below 1 (100% leaves no error budget)'),
  windowDays: z.union([z.literal(28), z.literal(30)], { error: 'expected a rolling window of 28 or 30 days' }),
});

export type AlertSeverity = 'page' | 'ticket';

export interface BurnRateRule {
  name: string;
  severity: AlertSeverity;
  /** Fires when the burn rate over both windows is at least this. */
  burnRate: number;
  longWindowMs: number;
  shortWindowMs: number;
}

/**
 * The SRE workbook's recommended set for a 30-day SLO. Each burn rate spends a share of the budget in the
 * long window (burn = share × 30 d / window); the short window (1/12 of the long one) makes the alert stop
 * soon after the burning stops.
 */
export const BURN_RATE_RULES: readonly BurnRateRule[] = [
  // 2% of the budget in 1 h: 0.02 × 720 h / 1 h = 14.4. A total outage on 99.9% pages in ~52 s.
  { name: 'fast-burn', severity: 'page', burnRate: 14.4, longWindowMs: HOUR_MS, shortWindowMs: 5 * MINUTE_MS },
  // 5% of the budget in 6 h: 0.05 × 720 h / 6 h = 6.
  { name: 'slow-burn', severity: 'page', burnRate: 6, longWindowMs: 6 * HOUR_MS, shortWindowMs: 30 * MINUTE_MS },
  // 10% of the budget in 3 d: 0.1 × 30 d / 3 d = 1: spending exactly at the pace that exhausts the budget.
  { name: 'budget-burn', severity: 'ticket', burnRate: 1, longWindowMs: 3 * DAY_MS, shortWindowMs: 6 * HOUR_MS },
];

/** One availability SLO per route when none are defined: 99.9% over 28 days, the common starting point. */
export function defaultSlos(routes: readonly string[]): SloDefinition[] {
  return routes.map((route) => ({
    name: `${route.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}-availability`,
    route,
    sli: { kind: 'availability' },
    target: 0.999,
    windowDays: 28,
  }));
}

export const SLO_DAY_MS = DAY_MS;
