/**
 * The spend ledger against a real SQLite store: a flush writes every key's spend as one append (one
 * transaction, however many keys spent), a restart sums it back, and a flush the store refuses loses
 * nothing: all of it is written by the next one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualIntervalTimer, SqliteStore, type AuditEntry } from '../../store/index.js';
import { newLedgerCell, SpendLedger } from './spend-ledger.js';
import { MemoryUsageCounters } from './usage-counters.js';

const T0 = Date.UTC(2025, 5, 10, 12, 0, 0);
const timer = new ManualIntervalTimer();
let store: SqliteStore;
let appends: AuditEntry[][];

beforeEach(async () => {
  store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  appends = [];
  const append = store.appendAuditEntries.bind(store);
  store.appendAuditEntries = async (entries) => {
    appends.push([...entries]);
    await append(entries);
  };
});

afterEach(async () => {
  await store.close();
});

const ledgerOf = (counters = new MemoryUsageCounters()) => new SpendLedger({ store, counters, flushMs: 1_000, timer: timer.schedule, nowMs: () => T0 });

describe('SpendLedger', () => {
  it('writes every key that spent in one append, which a restart sums back', async () => {
    const ledger = ledgerOf();
    for (let i = 0; i < 1000; i++) ledger.record(`key_${i}`, 0.25, 10, 20, T0);
    ledger.record('key_0', 0.5, 1, 2, T0);
    await ledger.flush();
    expect(appends).toHaveLength(1);
    expect(appends[0]).toHaveLength(1000);
    expect(appends[0]![0]).toMatchObject({ target: 'key_0', details: { day: '2025-06-10', usd: 0.75, input_tokens: 11, output_tokens: 22, requests: 2 } });

    const restarted = new MemoryUsageCounters();
    await ledgerOf(restarted).rebuild();
    expect(restarted.spend('key_0', T0)).toEqual({ dayUsd: 0.75, monthUsd: 0.75 });
    expect(restarted.spend('key_999', T0)).toEqual({ dayUsd: 0.25, monthUsd: 0.25 });
  });

  it('keeps a refused flush whole for the next one', async () => {
    const ledger = ledgerOf();
    ledger.record('key_a', 1, 1, 1, T0);
    ledger.record('key_b', 2, 2, 2, T0);
    const append = store.appendAuditEntries;
    store.appendAuditEntries = () => Promise.reject(new Error('disk full'));
    await expect(ledger.flush()).rejects.toThrow('disk full');
    store.appendAuditEntries = append;
    ledger.record('key_a', 4, 4, 4, T0); // spent meanwhile
    await ledger.flush();
    const written = (await store.listAudit({ limit: 10 })).map((e) => [e.target, e.details?.['usd']]);
    expect(written.sort()).toEqual([
      ['key_a', 5],
      ['key_b', 2],
    ]);
  });

  it("adds a key's requests through its cell to the batch a flush writes, and after a flush to the next one", async () => {
    const ledger = ledgerOf();
    const cell = newLedgerCell();
    ledger.record('key_a', 1, 1, 1, T0, cell);
    ledger.record('key_a', 2, 2, 2, T0, cell);
    ledger.record('key_a', 4, 4, 4, T0); // by id: the same entry
    const append = store.appendAuditEntries;
    store.appendAuditEntries = () => Promise.reject(new Error('disk full'));
    await expect(ledger.flush()).rejects.toThrow('disk full');
    store.appendAuditEntries = append;
    ledger.record('key_a', 8, 8, 8, T0, cell); // kept for the next flush, not into the refused batch's entry
    await ledger.flush();
    ledger.record('key_a', 16, 16, 16, T0, cell); // after a flush: a new entry, not the written one
    ledger.record('key_a', 32, 32, 32, T0 + 86_400_000, cell); // the next day: its own entry
    await ledger.flush();
    const written = (await store.listAudit({ limit: 10 })).map((e) => [e.details?.['day'], e.details?.['usd'], e.details?.['requests']]);
    expect(written.sort()).toEqual([
      ['2025-06-10', 15, 4],
      ['2025-06-10', 16, 1],
      ['2025-06-11', 32, 1],
    ]);
  });
});
