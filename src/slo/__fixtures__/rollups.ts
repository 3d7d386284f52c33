/** Builders for rollup rows in SLO tests: one row of given outcomes, latency, tokens and cost. */
import { emptyRollup, bucketIndex } from '../../store/rollup-math.js';
import type { RollupRow, RollupScope, RollupSource } from '../../store/store.js';

export interface RowSpec {
  minute: number;
  scope?: RollupScope;
  id: string;
  source?: RollupSource;
  outcomes: Record<string, number>;
  /** Every counted event took this long (default 400 ms). */
  latencyMs?: number;
  cost?: number;
  inputTokens?: number;
  outputTokens?: number;
}

export function row(spec: RowSpec): RollupRow {
  const r = emptyRollup(spec.minute, spec.scope ?? 'route', spec.id, spec.source ?? 'client');
  const latencyMs = spec.latencyMs ?? 400;
  for (const [outcome, n] of Object.entries(spec.outcomes)) {
    if (n === 0) continue;
    r.outcomes[outcome] = n;
    r.latencyHistogram[bucketIndex(latencyMs)]! += n;
    r.latencySumMs += n * latencyMs;
  }
  r.cost = spec.cost ?? 0;
  r.inputTokens = spec.inputTokens ?? 0;
  r.outputTokens = spec.outputTokens ?? 0;
  return r;
}
