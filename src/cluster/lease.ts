/**
 * A lease: "one writer for incidents". Of all the Keel replicas, only the one holding the lease runs the
 * incident detector and the probe scheduler, so an outage opens one incident, not one per replica. Two
 * implementations share this interface: Redis (`LeaderLease`, a key with a TTL) and PostgreSQL
 * (`PgAdvisoryLease`, a session advisory lock).
 *
 * The rule both follow when in doubt: let go. A replica that cannot confirm it still holds the lease
 * reports `onLost` and stops acting, because no detector for a few seconds costs less than two detectors
 * writing conflicting incidents. Neither lease issues fencing tokens: a replica paused longer than the
 * lease (a stop-the-world GC of many seconds) may act once more after another took over; incident writes
 * are idempotent saves of a whole incident, so such a write is repaired by the next one.
 */

export type LeaseLostReason =
  /** Another replica holds it (or the record of ours disappeared). */
  | 'taken'
  /** We could not renew in time (the backend unreachable or too slow): it may expire any moment. */
  | 'expired'
  /** The connection that held the lock died, and the lock with it. */
  | 'connection_lost'
  /** `stop()` released it. */
  | 'stopped';

export interface LeaseEvents {
  /** This replica now holds the lease: start the detector and the probe scheduler. */
  onAcquired?: () => void;
  /** This replica no longer holds the lease: stop them at once. */
  onLost?: (reason: LeaseLostReason) => void;
  /** The backend could not be reached or refused a command; the lease retries with backoff. */
  onError?: (err: Error) => void;
}

export interface Lease {
  /** Starts contending (returns at once; callbacks report what happens). */
  start(): void;
  /** Stops contending and releases the lease if held (`onLost('stopped')`). Idempotent. */
  stop(): Promise<void>;
  /** Whether this replica holds the lease right now. */
  readonly held: boolean;
}

/**
 * The wait before the `failures`-th consecutive retry: doubling from `baseMs` up to `capMs`, with half
 * of it random so replicas that lost the backend together do not retry in lockstep.
 */
export function leaseRetryDelayMs(failures: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Calls a user callback without letting its exception break the lease loop (it goes to `onError`). */
export function safeCall(events: LeaseEvents, call: () => void): void {
  try {
    call();
  } catch (err) {
    try {
      events.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // onError itself threw: nothing left to tell.
    }
  }
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
