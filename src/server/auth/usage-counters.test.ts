import { describe, expect, it } from 'vitest';
import { MemoryUsageCounters, newBucketCell, newSpendCell, utcDay, utcMonth } from './usage-counters.js';
import { formatDuration } from './rate-limit-headers.js';

const T0 = Date.UTC(2025, 0, 31, 23, 59, 0);

describe('MemoryUsageCounters buckets', () => {
  it('allows a full minute of requests at once, then refills at the limit rate', async () => {
    const c = new MemoryUsageCounters();
    const ask = [{ id: 'k:rpm', perMinute: 3, cost: 1 }];
    for (let i = 0; i < 3; i++) expect((await c.take(ask, T0)).allowed).toBe(true);
    const refused = await c.take(ask, T0);
    expect(refused.allowed).toBe(false);
    expect(refused.buckets[0]).toMatchObject({ limit: 3, remaining: 0, retryAfterMs: 20_000, resetMs: 60_000 });
    expect((await c.take(ask, T0 + 19_999)).allowed).toBe(false);
    expect((await c.take(ask, T0 + 20_000)).allowed).toBe(true);
  });

  it('takes from every bucket or from none', async () => {
    const c = new MemoryUsageCounters();
    const asks = [
      { id: 'k:rpm', perMinute: 100, cost: 1 },
      { id: 'k:tpm', perMinute: 1_000, cost: 800 },
    ];
    expect((await c.take(asks, T0)).allowed).toBe(true);
    const second = await c.take(asks, T0);
    expect(second.allowed).toBe(false);
    expect(second.buckets.map((b) => b.remaining)).toEqual([99, 200]);
    expect(second.buckets[1]!.retryAfterMs).toBe(36_000); // 600 tokens at 1000/min
  });

  it('admits a cost above the whole allowance only from a full bucket, leaving it in debt', async () => {
    const c = new MemoryUsageCounters();
    const big = [{ id: 'k:tpm', perMinute: 100, cost: 250 }];
    expect((await c.take(big, T0)).allowed).toBe(true);
    const after = await c.take([{ id: 'k:tpm', perMinute: 100, cost: 1 }], T0 + 60_000);
    expect(after.allowed).toBe(false); // -150 + 100 refilled = -50
    expect((await c.take([{ id: 'k:tpm', perMinute: 100, cost: 1 }], T0 + 91_000)).allowed).toBe(true);
  });

  it('reconciles an estimate: an overestimate is given back', async () => {
    const c = new MemoryUsageCounters();
    const ask = [{ id: 'k:tpm', perMinute: 1_000, cost: 900 }];
    await c.take(ask, T0);
    expect((await c.take(ask, T0)).allowed).toBe(false);
    await c.adjust('k:tpm', 1_000, -850, T0); // it used 50
    expect((await c.take(ask, T0)).allowed).toBe(true);
  });
});

describe('MemoryUsageCounters spend', () => {
  it('counts per UTC day and month, starting afresh at each boundary', async () => {
    const c = new MemoryUsageCounters();
    await c.addSpend('k', 1.5, T0);
    await c.addSpend('k', 0.5, T0 + 30_000);
    expect(await c.spend('k', T0)).toEqual({ dayUsd: 2, monthUsd: 2 });
    const feb = T0 + 120_000; // 2025-02-01 00:01
    expect(await c.spend('k', feb)).toEqual({ dayUsd: 0, monthUsd: 0 });
    await c.addSpend('k', 1, feb);
    await c.addSpend('k', 7, T0); // late spend for a period already past: dropped
    expect(await c.spend('k', feb)).toEqual({ dayUsd: 1, monthUsd: 1 });
    expect(await c.spend('other', feb)).toEqual({ dayUsd: 0, monthUsd: 0 });
  });
});

describe('MemoryUsageCounters cells', () => {
  it("keeps a key's bucket in its cell, the same state a call by id sees", async () => {
    const c = new MemoryUsageCounters();
    const cell = newBucketCell();
    const ask = { id: 'k:rpm', perMinute: 3, cost: 1, cell };
    await c.take([ask], T0);
    expect(cell.level).toBe(2);
    await c.take([{ id: 'k:rpm', perMinute: 3, cost: 1 }], T0); // by id
    expect(cell.level).toBe(1);
    await c.adjust('k:rpm', 3, 1, T0); // by id
    expect((await c.take([ask], T0)).allowed).toBe(false);
  });

  it('hands a bucket to a new cell (a changed key) with its state, and the cell it replaced still reaches it by id', async () => {
    const c = new MemoryUsageCounters();
    const old = newBucketCell();
    await c.take([{ id: 'k:rpm', perMinute: 3, cost: 1, cell: old }], T0);
    const fresh = newBucketCell();
    expect((await c.take([{ id: 'k:rpm', perMinute: 3, cost: 1, cell: fresh }], T0)).buckets[0]!.remaining).toBe(1);
    await c.adjust('k:rpm', 3, -1, T0, old); // an old request's refund lands in the bucket, not in the retired cell
    expect(fresh.level).toBe(2);
    await c.take([{ id: 'k:rpm', perMinute: 3, cost: 2, cell: old }], T0); // never adopted again
    expect(fresh.level).toBe(0);
    expect((await c.take([{ id: 'k:rpm', perMinute: 3, cost: 1, cell: fresh }], T0)).allowed).toBe(false);
  });

  it('does not share a cell between two sets of counters', async () => {
    const a = new MemoryUsageCounters();
    const b = new MemoryUsageCounters();
    const cell = newBucketCell();
    const ask = { id: 'k:rpm', perMinute: 2, cost: 1, cell };
    await a.take([ask], T0);
    await a.take([ask], T0);
    expect((await b.take([ask], T0)).buckets[0]!.remaining).toBe(1); // b's own bucket, full before this take
    expect((await a.take([ask], T0)).allowed).toBe(false);
  });

  it("keeps a key's spend in its cell, carrying over what was spent before the cell came", async () => {
    const c = new MemoryUsageCounters();
    await c.addSpend('k', 1, T0);
    const cell = newSpendCell();
    expect(await c.spend('k', T0, cell)).toEqual({ dayUsd: 1, monthUsd: 1 });
    await c.charge('k', undefined, 2, T0, cell);
    expect(cell).toMatchObject({ dayUsd: 3, monthUsd: 3 });
    await c.addSpend('k', 4, T0); // by id: the same record
    expect(await c.spend('k', T0, cell)).toEqual({ dayUsd: 7, monthUsd: 7 });
    const next = newSpendCell(); // a changed key's new cell takes over
    await c.charge('k', undefined, 8, T0 + 120_000, next); // 2025-02-01: a new day and month
    await c.charge('k', undefined, 16, T0, cell); // late spend through the replaced cell: a past period, dropped
    expect(await c.spend('k', T0 + 120_000)).toEqual({ dayUsd: 8, monthUsd: 8 });
    expect(await c.spend('k', T0 + 120_000, cell)).toEqual({ dayUsd: 8, monthUsd: 8 });
  });
});

describe('utcDay and utcMonth', () => {
  it('name the UTC period of any time, back and forth across day, month and year ends', () => {
    const times = [Date.UTC(2025, 0, 31, 23, 59, 59, 999), Date.UTC(2025, 1, 1), Date.UTC(2024, 1, 29, 12), Date.UTC(2025, 0, 31, 0), Date.UTC(2024, 11, 31, 23, 59, 59, 999), Date.UTC(2025, 0, 1), Date.UTC(2025, 1, 1) - 1];
    for (const ms of [...times, ...times.reverse()]) {
      expect(utcDay(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
      expect(utcMonth(ms)).toBe(new Date(ms).toISOString().slice(0, 7));
    }
  });
});

describe('formatDuration', () => {
  it("writes resets the way OpenAI's headers do", () => {
    expect(formatDuration(20)).toBe('20ms');
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(360_000)).toBe('6m0s');
    expect(formatDuration(-5)).toBe('0ms');
  });
});
