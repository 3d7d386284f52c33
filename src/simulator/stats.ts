/**
 * Counts what the simulator saw: attempts per model and per format (counted on arrival, so an attempt
 * that then hangs is counted while it hangs), applied faults by type and by model, and the last 200
 * requests with their headers and parsed bodies, so a test can assert exactly what Keel sent upstream.
 */
import type { SimRequestRecord, SimStats, WireFormat } from './types.js';

const RECENT_LIMIT = 200;

export class StatsRecorder {
  private total = 0;
  private active = 0;
  private byModel: Record<string, number> = {};
  private byFormat: Record<WireFormat, number> = { openai: 0, anthropic: 0, gemini: 0 };
  private faultsApplied: Record<string, number> = {};
  private faultsByModel: Record<string, Record<string, number>> = {};
  private recent: SimRequestRecord[] = [];

  /** Counts one attempt; the returned record can still be marked with the fault applied to it. */
  record(entry: SimRequestRecord): SimRequestRecord {
    this.total += 1;
    this.byModel[entry.model] = (this.byModel[entry.model] ?? 0) + 1;
    this.byFormat[entry.format] += 1;
    this.recent.push(entry);
    if (this.recent.length > RECENT_LIMIT) this.recent.shift();
    return entry;
  }

  /** Marks a request in flight until `end()`: lets tests prove a disconnect stopped its work. */
  begin(): void {
    this.active += 1;
  }

  end(): void {
    this.active -= 1;
  }

  faultApplied(entry: SimRequestRecord, type: string): void {
    entry.fault = type;
    this.faultsApplied[type] = (this.faultsApplied[type] ?? 0) + 1;
    const own = (this.faultsByModel[entry.model] ??= {});
    own[type] = (own[type] ?? 0) + 1;
  }

  /** A deep copy: callers may keep or mutate it without touching the live counters. */
  snapshot(): SimStats {
    return structuredClone({
      total: this.total,
      active: this.active,
      byModel: this.byModel,
      byFormat: this.byFormat,
      faultsApplied: this.faultsApplied,
      faultsByModel: this.faultsByModel,
      recent: this.recent,
    });
  }

  /** Clears counts and history; requests still in flight stay counted in `active`. */
  reset(): void {
    this.total = 0;
    this.byModel = {};
    this.byFormat = { openai: 0, anthropic: 0, gemini: 0 };
    this.faultsApplied = {};
    this.faultsByModel = {};
    this.recent = [];
  }
}
