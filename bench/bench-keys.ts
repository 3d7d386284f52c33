/**
 * The bench's 1,000 virtual keys, shared by the HTTP variants (variants.ts), the in-process pipeline
 * (`bench:pipeline -- --keys`) and the gate alone (`bench:gate`): the same secrets and limits everywhere,
 * and the gate built as `keel serve` builds it for keys from the config file (counters in memory, spend to a
 * ledger; here a store that keeps nothing).
 */
import { configKeySchema } from '../src/config/schema.js';
import { KeyGate } from '../src/server/auth/key-gate.js';
import { KeyRing } from '../src/server/auth/key-ring.js';
import { SpendLedger } from '../src/server/auth/spend-ledger.js';
import { MemoryUsageCounters, type UsageCounters } from '../src/server/auth/usage-counters.js';
import type { Store } from '../src/store/index.js';

export const BENCH_KEY_COUNT = 1_000;

/** Every bench deployment's price, so that spend (and the keys' budgets) are computed as in production. */
export const BENCH_PRICE = { input_per_mtok: 3, output_per_mtok: 15 } as const;

/** Limits no bench burst reaches: the bookkeeping runs, nothing is refused. */
export const BENCH_KEY_LIMITS = { rpm: 10_000_000, tpm: 1_000_000_000, daily_budget_usd: 1_000_000 } as const;

export const benchKeySecret = (i: number): string => `sk-keel-bench-${String(i).padStart(4, '0')}-not-a-real-secret`;

/** The bench's keys as a config file lists them. */
export const benchConfigKeys = (count = BENCH_KEY_COUNT): Array<{ name: string; key: string } & typeof BENCH_KEY_LIMITS> =>
  Array.from({ length: count }, (_, i) => ({ name: `bench-${i}`, key: benchKeySecret(i), ...BENCH_KEY_LIMITS }));

/**
 * The gate over the bench's first `count` keys, every answering deployment at the bench's price; its
 * counters in memory unless others are given (`bench:gate -- --redis`).
 */
export function benchKeyGate(count = BENCH_KEY_COUNT, counters: UsageCounters = new MemoryUsageCounters()): KeyGate {
  const store = { listKeys: () => Promise.resolve([]), listAudit: () => Promise.resolve([]), appendAuditEntries: () => Promise.resolve() } as unknown as Store;
  const timer = () => () => undefined;
  const configKeys = benchConfigKeys(count).map((k) => configKeySchema.parse(k));
  const ring = new KeyRing({ store, configKeys, refreshMs: 60_000, timer, nowMs: Date.now });
  const ledger = new SpendLedger({ store, counters, flushMs: 60_000, timer, nowMs: Date.now });
  return new KeyGate({ ring, counters, ledger, nowMs: Date.now, priceOf: () => BENCH_PRICE });
}
