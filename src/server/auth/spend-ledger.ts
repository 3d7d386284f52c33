/**
 * Spend persistence. The store has no usage table per key, so spend goes to the audit log: every flush
 * interval (and at shutdown) one `usage.spend` entry per key and UTC day that spent anything since the
 * last flush, with the dollars, tokens and requests, all written in one append (one transaction). On
 * start the current month's entries are summed back into the counters, so a restart does not reset
 * budgets. A crash loses at most one interval of spend.
 *
 * The entry carries the UTC day the spend belongs to (`details.day`), not only the time it was written, so
 * spend flushed just after midnight still counts for the day it happened.
 */
import type { AuditEntry, IntervalTimer, Store } from '../../store/index.js';
import { utcDay, type UsageCounters } from './usage-counters.js';

export const SPEND_ACTION = 'usage.spend';
export const SPEND_ACTOR = 'keel';
// A month of minute flushes for ~20 busy keys; past that the oldest entries of the month are not read
// back (budgets then under-count), and a dedicated usage table is due.
const REBUILD_MAX_ENTRIES = 1_000_000;

interface PendingSpend {
  keyId: string;
  day: string;
  usd: number;
  inputTokens: number;
  outputTokens: number;
  requests: number;
  /** Still in the batch the next flush writes (false once a flush took it). */
  open: boolean;
}

/**
 * Where the gate keeps a key's pending entry (one cell per key), as it keeps `CounterCell`s for the
 * counters: a request of the key adds to its entry without looking it up by day and key.
 */
export interface LedgerCell {
  entry: PendingSpend | undefined;
}

export const newLedgerCell = (): LedgerCell => ({ entry: undefined });

export interface SpendLedgerOptions {
  store: Store;
  counters: UsageCounters;
  flushMs: number;
  timer: IntervalTimer;
  nowMs: () => number;
  onError?: (err: unknown) => void;
}

function monthStartMs(nowMs: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
}

export class SpendLedger {
  /** By UTC day, then key: a request adds to its entry without building a composite id. */
  private pending = new Map<string, Map<string, PendingSpend>>();
  private stopTimer: (() => void) | undefined;

  constructor(private readonly options: SpendLedgerOptions) {}

  /** One finished request's spend, to be written at the next flush. */
  record(keyId: string, usd: number, inputTokens: number, outputTokens: number, atMs: number, cell?: LedgerCell): void {
    const day = utcDay(atMs);
    const kept = cell?.entry;
    // The cell's entry while it is still in this batch and of this day; else found by day and key.
    const entry = kept !== undefined && kept.open && kept.day === day && kept.keyId === keyId ? kept : this.entryOf(keyId, day);
    if (cell !== undefined) cell.entry = entry;
    add(entry, usd, inputTokens, outputTokens, 1);
  }

  private merge(spend: PendingSpend): void {
    add(this.entryOf(spend.keyId, spend.day), spend.usd, spend.inputTokens, spend.outputTokens, spend.requests);
  }

  private entryOf(keyId: string, day: string): PendingSpend {
    let keys = this.pending.get(day);
    if (keys === undefined) this.pending.set(day, (keys = new Map()));
    let entry = keys.get(keyId);
    if (entry === undefined) keys.set(keyId, (entry = { keyId, day, usd: 0, inputTokens: 0, outputTokens: 0, requests: 0, open: true }));
    return entry;
  }

  /** Sums this month's persisted spend back into the counters. */
  async rebuild(): Promise<void> {
    const entries = await this.options.store.listAudit({ from: monthStartMs(this.options.nowMs()), limit: REBUILD_MAX_ENTRIES });
    for (const entry of entries) {
      if (entry.action !== SPEND_ACTION || entry.actor !== SPEND_ACTOR) continue;
      const day = entry.details?.['day'];
      const usd = entry.details?.['usd'];
      if (typeof day !== 'string' || typeof usd !== 'number' || !Number.isFinite(usd)) continue;
      const atMs = Date.parse(`${day}T00:00:00Z`);
      if (Number.isFinite(atMs)) await this.options.counters.addSpend(entry.target, usd, atMs);
    }
  }

  start(): void {
    this.stopTimer ??= this.options.timer(this.options.flushMs, () => {
      this.flush().catch((err: unknown) => this.options.onError?.(err));
    });
  }

  /** Writes what was spent since the last flush; on failure it is kept for the next one. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const at = this.options.nowMs();
    const spends = [...batch.values()].flatMap((keys) => [...keys.values()]);
    for (const spend of spends) spend.open = false; // a cell keeping one finds the next batch's entry
    const entries = spends.map(
      (s): AuditEntry => ({
        at,
        actor: SPEND_ACTOR,
        action: SPEND_ACTION,
        target: s.keyId,
        details: { day: s.day, usd: s.usd, input_tokens: s.inputTokens, output_tokens: s.outputTokens, requests: s.requests },
      }),
    );
    try {
      await this.options.store.appendAuditEntries(entries);
    } catch (err) {
      for (const spend of spends) this.merge(spend);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.stopTimer?.();
    this.stopTimer = undefined;
    await this.flush();
  }
}

function add(entry: PendingSpend, usd: number, inputTokens: number, outputTokens: number, requests: number): void {
  entry.usd += usd;
  entry.inputTokens += inputTokens;
  entry.outputTokens += outputTokens;
  entry.requests += requests;
}
