/**
 * Burn rates and the multi-window alert decision, as pure functions of window counts. The burn rate is
 * how fast the error budget is being spent relative to the pace that spends exactly all of it over the
 * SLO window: bad ratio / (1 − target). 1× spends the budget in the window; 14.4× spends 2% of a 30-day
 * budget in an hour.
 */
import type { GoodTotal } from './sli-series.js';
import type { BurnRateRule } from './slo-definition.js';

// Float noise only: 0.001 / (1 − 0.999) is 0.9999999999999991, and the workbook's "1× over 3 days" must
// fire when the ratio is exactly the budget's.
const RELATIVE_TOLERANCE = 1e-9;

export interface WindowBurn {
  windowMs: number;
  good: number;
  total: number;
  badRatio: number;
  burnRate: number;
}

export function windowBurn(counts: GoodTotal, windowMs: number, target: number): WindowBurn {
  const badRatio = counts.total === 0 ? 0 : (counts.total - counts.good) / counts.total;
  return { windowMs, good: counts.good, total: counts.total, badRatio, burnRate: badRatio / (1 - target) };
}

export function atLeast(value: number, threshold: number): boolean {
  return value >= threshold * (1 - RELATIVE_TOLERANCE);
}

export interface RuleEvaluation {
  rule: BurnRateRule;
  long: WindowBurn;
  short: WindowBurn;
  /**
   * Both windows burn at or above the rule's rate: the long one proves the burn is significant, the short
   * one that it is still going on (so the alert clears minutes after a recovery, not an hour).
   */
  firing: boolean;
}

export interface WindowSource {
  window(nowMs: number, windowMs: number): GoodTotal;
}

export function evaluateRules(source: WindowSource, target: number, nowMs: number, rules: readonly BurnRateRule[]): RuleEvaluation[] {
  return rules.map((rule) => {
    const long = windowBurn(source.window(nowMs, rule.longWindowMs), rule.longWindowMs, target);
    const short = windowBurn(source.window(nowMs, rule.shortWindowMs), rule.shortWindowMs, target);
    return { rule, long, short, firing: atLeast(long.burnRate, rule.burnRate) && atLeast(short.burnRate, rule.burnRate) };
  });
}

/**
 * The workbook's detection time for a constant error ratio starting after a clean window: the long window
 * reaches the threshold after `burnRate × (1 − target) / errorRatio × window`; undefined when the error
 * ratio can never reach it. Exposed so tests and docs state expectations from the formula.
 */
export function detectionTimeMs(rule: BurnRateRule, target: number, errorRatio: number): number | undefined {
  const needed = rule.burnRate * (1 - target);
  if (errorRatio < needed * (1 - RELATIVE_TOLERANCE)) return undefined;
  return Math.max(rule.longWindowMs, rule.shortWindowMs) * (needed / errorRatio);
}

export interface ErrorBudget {
  windowMs: number;
  good: number;
  total: number;
  /** good / total; 1 when there was no traffic. */
  sli: number;
  bad: number;
  /** Bad events the target allows over the window at this volume. */
  allowedBad: number;
  /** 1 = untouched, 0 = spent, negative = overspent. */
  remaining: number;
}

export function errorBudget(counts: GoodTotal, windowMs: number, target: number): ErrorBudget {
  const bad = counts.total - counts.good;
  const allowedBad = (1 - target) * counts.total;
  return {
    windowMs,
    good: counts.good,
    total: counts.total,
    sli: counts.total === 0 ? 1 : counts.good / counts.total,
    bad,
    allowedBad,
    remaining: counts.total === 0 ? 1 : 1 - bad / allowedBad,
  };
}
