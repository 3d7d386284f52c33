/**
 * The PostgreSQL advisory-lock lease against a real PostgreSQL: one holder among contenders, hand-over when
 * the holder stops or its backend is terminated, nothing held while PostgreSQL is unreachable. Without a
 * reachable PostgreSQL the file fails, naming how to get one.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requireService } from '../../test/support/test-services.js';
import { TEST_POSTGRES_URL, adminQuery } from '../store/postgres/__fixtures__/postgres-test-db.js';
import { startTcpProxy, type TcpProxy } from './__fixtures__/tcp-proxy.js';
import { LeaseTimeline, holdersOf, sleep, waitFor } from './__fixtures__/lease-timeline.js';
import { PgAdvisoryLease, type PgAdvisoryLeaseOptions } from './pg-advisory-lease.js';

const CHECK_MS = 200;

await requireService('postgres');

/** The backend holding the lease's advisory lock (a bigint key is split into classid:objid). */
async function holderPid(lease: PgAdvisoryLease): Promise<number | undefined> {
  const rows = await adminQuery<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND classid::bigint = ($1::bigint >> 32) & 4294967295 AND objid::bigint = $1::bigint & 4294967295`,
    [lease.lockKey],
  );
  return rows[0]?.pid;
}

describe('PgAdvisoryLease', () => {
  let name: string;
  let timeline: LeaseTimeline;
  let leases: Record<string, PgAdvisoryLease>;
  let proxy: TcpProxy | undefined;

  const contender = (who: string, options: Partial<PgAdvisoryLeaseOptions> = {}): PgAdvisoryLease => {
    const lease = new PgAdvisoryLease({ connectionString: TEST_POSTGRES_URL, name, checkIntervalMs: CHECK_MS, ...timeline.for(who), ...options });
    leases[who] = lease;
    return lease;
  };

  beforeEach(() => {
    name = `test:${randomUUID()}`;
    timeline = new LeaseTimeline();
    leases = {};
  });
  afterEach(async () => {
    await Promise.all(Object.values(leases).map((l) => l.stop()));
    await proxy?.close();
    proxy = undefined;
  });

  it('gives the lock to exactly one of three contenders, who keeps it', async () => {
    for (const who of ['a', 'b', 'c']) contender(who).start();
    await waitFor(() => holdersOf(leases).length === 1, 5 * CHECK_MS, 'a holder');
    const [holder] = holdersOf(leases);
    await sleep(5 * CHECK_MS);
    expect(holdersOf(leases)).toEqual([holder]);
    expect(timeline.events).toEqual([{ who: holder, event: 'acquired' }]);
    expect(await holderPid(leases[holder!]!)).toBeGreaterThan(0);
  });

  it('hands over when the holder stops', async () => {
    for (const who of ['a', 'b', 'c']) contender(who).start();
    await waitFor(() => holdersOf(leases).length === 1, 5 * CHECK_MS, 'a holder');
    const [first] = holdersOf(leases);
    await leases[first!]!.stop();
    expect(timeline.events.find((e) => e.who === first && e.event === 'lost')).toEqual({ who: first, event: 'lost', reason: 'stopped' });
    await waitFor(() => holdersOf(leases).length === 1, 3 * CHECK_MS, 'a new holder');
    expect(holdersOf(leases)).not.toContain(first);
    timeline.expectNeverTwoHolders();
  });

  it('loses the lease when its backend is terminated, and another contender takes it', async () => {
    for (const who of ['a', 'b', 'c']) contender(who).start();
    await waitFor(() => holdersOf(leases).length === 1, 5 * CHECK_MS, 'a holder');
    const [first] = holdersOf(leases);
    const pid = await holderPid(leases[first!]!);
    await adminQuery('SELECT pg_terminate_backend($1)', [pid]);
    await waitFor(() => !leases[first!]!.held, 2 * CHECK_MS, 'the holder to notice');
    expect(timeline.events.find((e) => e.event === 'lost')).toEqual({ who: first, event: 'lost', reason: 'connection_lost' });
    expect(timeline.errors.get(first!)?.length).toBeGreaterThan(0);
    await waitFor(() => holdersOf(leases).length === 1, 5 * CHECK_MS, 'a new holder');
    timeline.expectNeverTwoHolders();
    // The terminated one reconnects and stays a follower.
    await sleep(3 * CHECK_MS);
    expect(holdersOf(leases)).toHaveLength(1);
    expect(await holderPid(leases[holdersOf(leases)[0]!]!)).not.toBe(pid);
  });

  it('holds nothing while PostgreSQL is unreachable, and takes the lock once it is back', async () => {
    proxy = await startTcpProxy(5432);
    proxy.cut();
    const lease = contender('alone', { connectionString: `postgres://postgres@127.0.0.1:${proxy.port}/test`, maxBackoffMs: 100 });
    lease.start();
    await sleep(4 * CHECK_MS);
    expect(lease.held).toBe(false);
    expect(timeline.errors.get('alone')?.length).toBeGreaterThan(0);
    proxy.restore();
    await waitFor(() => lease.held, 10 * CHECK_MS, 'the lock after PostgreSQL came back');
    proxy.cut(); // and losing the connection loses the lock
    await waitFor(() => !lease.held, 3 * CHECK_MS, 'the lease to be lost');
    expect(timeline.events.at(-1)).toEqual({ who: 'alone', event: 'lost', reason: 'connection_lost' });
  });
});
