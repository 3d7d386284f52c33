/**
 * The "everything on" cells of `npm run bench`: what telemetry (metrics scraped + tracing to an OTLP
 * sink), 1,000 virtual keys and Redis-shared state each cost, measured in the same run as the rest. Each
 * is a pair of Keels taking turns under the same load (interleave.ts): the feature on against the same
 * build without it (Redis against the same keys counted in memory). The cost is read from the median
 * per-round ratio of CPU per answer: on a saturated machine throughput is the inverse of CPU per answer,
 * so the share of throughput lost is `1 − 1 / ratio`, and unlike requests per second the ratio is not
 * moved by what else the machine runs between two cells.
 */
import { compare, roundRatios, variantComparison } from './interleave.js';
import { median } from './stats.js';
import type { FeatureCostResult, FeatureCostRow } from './results.js';
import { startSimulatorProcess } from './simulator-process.js';
import type { VariantName } from './variants.js';
import { round2, round3 } from './latency.js';
import { throughputLost } from './targets.js';

export interface FeatureCostOptions {
  variants: VariantName[];
  rounds: number;
  burstS: number;
  connections: number;
}

/** Runs each variant's pair in turn; a variant that fails (Redis down) is recorded, not fatal. */
export async function runFeatureCosts(options: FeatureCostOptions): Promise<FeatureCostResult> {
  const { variants, rounds, burstS, connections } = options;
  const result: FeatureCostResult = { rounds, burstS, connections, rows: [], notes: [], errors: {} };
  const sim = await startSimulatorProcess('simulator', { tokenDelayMs: 0 });
  try {
    for (const name of variants) {
      console.error(`bench: feature cost, ${name}`);
      try {
        const c = await variantComparison(name, sim.url);
        try {
          for (const row of await compare(c, rounds, burstS, connections)) {
            const ratios = roundRatios(row);
            const cost: FeatureCostRow = { variant: name, label: row.label, mode: row.mode, baseUs: Math.round(median(row.baseUs)), thisUs: Math.round(median(row.thisUs)), baseMainUs: Math.round(median(row.baseMainUs)), thisMainUs: Math.round(median(row.thisMainUs)), ratio: round2(median(ratios)), ratios: ratios.map(round2), throughputLost: round3(throughputLost(median(ratios))) };
            result.rows.push(cost);
          }
          result.notes.push(...(c.notes?.() ?? []));
        } finally {
          await c.stop?.();
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        console.error(`bench: feature cost ${name} failed: ${message}`);
        result.errors[name] = message;
      }
    }
  } finally {
    await sim.stop();
  }
  return result;
}
