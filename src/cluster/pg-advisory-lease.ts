/**
 * The lease in PostgreSQL, for clusters that run no Redis: a session-level advisory lock
 * (`pg_try_advisory_lock`) taken on a connection of the lease's own, outside the store's pool. The lock
 * lives exactly as long as that session: when the holder dies, or its connection does, the server releases
 * it and a follower, retrying every check interval, takes it.
 *
 * The holder learns of a dead connection from the socket (an error or end event, at once) or, when the
 * network fails silently, from its periodic `SELECT 1` timing out; either way it reports `onLost` and
 * drops the connection. In the silent case the server may keep the dead session, and the lock, until its
 * TCP keepalive notices: nobody holds the lease meanwhile, which is the safe way to be wrong.
 */
import { Client } from 'pg';
import { advisoryLockKey } from '../store/postgres/advisory-key.js';
import { asError, leaseRetryDelayMs, safeCall, type Lease, type LeaseEvents, type LeaseLostReason } from './lease.js';

export interface PgAdvisoryLeaseOptions extends LeaseEvents {
  /** `postgres://...`; the lease opens one connection of its own (not from the store's pool). */
  connectionString: string;
  /** Names the lock (hashed into the 64-bit advisory key); one per cluster and role. */
  name?: string;
  /** How often the holder checks its session and a follower retries the lock. */
  checkIntervalMs?: number;
  /** Longest wait between retries while PostgreSQL is unreachable. */
  maxBackoffMs?: number;
}

export const PG_ADVISORY_LEASE_DEFAULTS = {
  name: 'keel:leader',
  // As the Redis lease: a takeover within seconds of a holder's session ending is prompt for incidents
  // judged per minute, and a query every 5 s per replica costs the server nothing.
  checkIntervalMs: 5_000, // 5 s
  maxBackoffMs: 10_000, // 10 s
} as const;

export class PgAdvisoryLease implements Lease {
  readonly lockKey: string;
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private client: Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private isHeld = false;

  constructor(private readonly options: PgAdvisoryLeaseOptions) {
    this.lockKey = advisoryLockKey(`keel:lease:${options.name ?? PG_ADVISORY_LEASE_DEFAULTS.name}`);
    this.intervalMs = options.checkIntervalMs ?? PG_ADVISORY_LEASE_DEFAULTS.checkIntervalMs;
    this.maxBackoffMs = options.maxBackoffMs ?? PG_ADVISORY_LEASE_DEFAULTS.maxBackoffMs;
  }

  get held(): boolean {
    return this.isHeld;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearTimeout(this.timer);
    await this.running;
    // Stop acting before letting go: the next holder may start the moment the lock is free.
    const wasHeld = this.isHeld;
    if (wasHeld) this.lose('stopped');
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      // Ending the session releases the lock; the explicit unlock just says so sooner on a slow close.
      if (wasHeld) await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.lockKey]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }

  private schedule(delayMs: number): void {
    if (this.state !== 'running') return;
    this.timer = setTimeout(() => {
      this.running = this.check().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  /** One attempt at the lock (when not held) or one check of the holding session (when held). */
  private async check(): Promise<void> {
    let client: Client | undefined;
    try {
      client = this.client ?? (await this.connect());
      if (this.isHeld) {
        await client.query('SELECT 1');
      } else {
        const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [this.lockKey]);
        // stop() ends the session, which releases a lock taken while it waited for this check.
        if (result.rows[0]?.locked === true && this.state === 'running' && client === this.client) {
          this.isHeld = true;
          safeCall(this.options, () => this.options.onAcquired?.());
        }
      }
      this.failures = 0;
      this.schedule(this.intervalMs);
    } catch (err) {
      if (client !== undefined) this.drop(client, err);
      else this.report(err);
      this.failures++;
      this.schedule(leaseRetryDelayMs(this.failures, Math.max(10, this.intervalMs / 5), this.maxBackoffMs));
    }
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      connectionString: this.options.connectionString,
      application_name: 'keel-lease',
      connectionTimeoutMillis: this.intervalMs,
      // A check that has not answered within an interval means the session cannot be trusted any more.
      query_timeout: this.intervalMs,
      keepAlive: true,
    });
    // The socket dying while idle (backend terminated, server restart) arrives here, not in a query.
    client.on('error', (err) => this.drop(client, err));
    client.on('end', () => this.drop(client, new Error('the lease connection to PostgreSQL ended')));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.state !== 'running') {
      await client.end().catch(() => undefined);
      throw new Error('the lease was stopped while connecting');
    }
    this.client = client;
    return client;
  }

  /** Forgets a connection that failed: the lock went (or will go) with its session. */
  private drop(client: Client, err: unknown): void {
    if (client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.state !== 'running') return;
    this.report(err);
    if (this.isHeld) this.lose('connection_lost');
  }

  private lose(reason: LeaseLostReason): void {
    this.isHeld = false;
    safeCall(this.options, () => this.options.onLost?.(reason));
  }

  private report(err: unknown): void {
    const error = asError(err);
    safeCall(this.options, () => this.options.onError?.(error));
  }
}
