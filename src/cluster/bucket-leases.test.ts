/**
 * What a replica holds from shared buckets: takes served from a lease only when every bucket can pay,
 * reconciled estimates settled against the lease first, idle leases given back, and no lease for buckets
 * too small to share one or past the bound.
 */
import { describe, expect, it } from 'vitest';
import { BucketLeases } from './bucket-leases.js';

const T0 = 1_000_000;
const rpm = { id: 'k:rpm', perMinute: 1_000, cost: 1 };
const tpm = { id: 'k:tpm', perMinute: 100_000, cost: 300 };

/** Leases as if Redis granted what was asked, each bucket at `level` after the take. */
function leased(leases: BucketLeases, asks: typeof rpm[], level = 500): void {
  const granted = asks.map((a) => leases.leaseFor(a));
  leases.granted(asks, true, asks.map(() => level), granted, T0);
  leases.done(asks);
}

describe('BucketLeases', () => {
  it('asks for 1% of a minute, one lease at a time per bucket, and none for a bucket too small to share', () => {
    const leases = new BucketLeases();
    expect(leases.leaseFor(rpm)).toBe(10);
    expect(leases.leaseFor(rpm)).toBe(0); // the first is on its way
    leases.done([rpm]);
    expect(leases.leaseFor(rpm)).toBe(10);
    expect(leases.leaseFor({ id: 'small', perMinute: 60, cost: 1 })).toBe(0);
  });

  it('leases nothing with a share of 0 (cluster.limit_lease_share: 0): every take and settlement goes to Redis', () => {
    const leases = new BucketLeases({ fraction: 0 });
    expect(leases.leaseFor(tpm)).toBe(0);
    leases.granted([tpm], true, [90_000], [0], T0);
    expect(leases.tryTake([{ ...tpm, cost: 0 }], T0)).toBeUndefined();
    expect(leases.settle('k:tpm', 100_000, -500, T0)).toBe(-500);
    expect(leases.size).toBe(0);
  });

  it('admits from the lease only when every bucket of the take can pay', () => {
    const leases = new BucketLeases();
    leased(leases, [rpm, tpm]); // 10 requests, 1,000 tokens
    expect(leases.tryTake([rpm, tpm], T0)?.allowed).toBe(true);
    expect(leases.tryTake([rpm, tpm], T0)?.allowed).toBe(true);
    expect(leases.tryTake([rpm, tpm], T0)?.allowed).toBe(true);
    expect(leases.tryTake([rpm, tpm], T0)).toBeUndefined(); // 100 tokens left: Redis decides, and no request was taken
    expect(leases.tryTake([rpm], T0)?.buckets[0]).toMatchObject({ limit: 1_000, remaining: 506 }); // level 500 + 6 held
    expect(leases.tryTake([{ ...rpm, perMinute: 2_000 }], T0)).toBeUndefined(); // the key's limit changed
  });

  it('reports the remaining allowance refilled since Redis last answered', () => {
    const leases = new BucketLeases();
    leased(leases, [rpm], 0);
    expect(leases.tryTake([rpm], T0 + 6_000)?.buckets[0]).toMatchObject({ remaining: 109, resetMs: 53_460 }); // 0 + 100 refilled + 9 held
  });

  it('settles an underestimate from the lease and keeps an overestimate up to two leases', () => {
    const leases = new BucketLeases();
    expect(leases.settle('k:tpm', 100_000, 500, T0)).toBe(500); // nothing held: all to Redis
    leased(leases, [tpm]);
    expect(leases.settle('k:tpm', 100_000, 400, T0)).toBe(0); // 1,000 held → 600
    expect(leases.settle('k:tpm', 100_000, 700, T0)).toBe(100); // 600 held → 0, 100 left for Redis
    expect(leases.settle('k:tpm', 100_000, -5_000, T0)).toBe(-3_000); // keeps 2,000, gives 3,000 back
    expect(leases.tryTake([{ ...tpm, cost: 2_000 }], T0)?.allowed).toBe(true);
  });

  it('gives back leases idle for longer than idleMs, and every lease when asked', () => {
    const leases = new BucketLeases({ idleMs: 1_000 });
    leased(leases, [rpm, tpm]);
    leases.tryTake([rpm], T0 + 900);
    expect(leases.release(T0 + 1_500)).toEqual([{ id: 'k:tpm', perMinute: 100_000, amount: -1_000 }]);
    expect(leases.size).toBe(1);
    expect(leases.release(T0 + 1_500, true)).toEqual([{ id: 'k:rpm', perMinute: 1_000, amount: -9 }]);
    expect(leases.size).toBe(0);
  });

  it('holds no more than maxBuckets buckets: past it, takes go to Redis without a lease', () => {
    const leases = new BucketLeases({ maxBuckets: 1 });
    leased(leases, [rpm]);
    expect(leases.leaseFor(tpm)).toBe(0);
    leases.granted([tpm], true, [90_000], [0], T0);
    expect(leases.size).toBe(1);
  });
});
