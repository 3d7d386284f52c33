/**
 * The lease in Redis: one key holding the holder's random token with a TTL. A replica acquires it with
 * `SET key token NX PX ttl`, renews it every ttl/3 with a compare-and-set script (`PEXPIRE` only if the
 * key still holds its token) and releases it with a compare-and-delete, so no replica ever extends or
 * deletes another's lease. A holder that dies stops renewing; the key expires and a follower, polling
 * every ttl/3, takes over within about ttl + ttl/3.
 *
 * The loop reads no clock. Before each acquire or renew is sent, a countdown of ttl minus a margin starts:
 * Redis applies the TTL when it executes the command, which is after the countdown started, so while the
 * countdown runs the key cannot have expired. A successful reply makes that countdown the lease's validity;
 * when it runs out without a newer success (Redis unreachable, too slow), the holder reports `onLost` before
 * the key can expire and anyone else acquire it: never two holders, at the price of none for a while.
 * Real timers throughout: the TTL lives in Redis, which no fake clock can move, so tests use short TTLs.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis, type RedisOptions } from 'ioredis';
import { asError, leaseRetryDelayMs, safeCall, type Lease, type LeaseEvents, type LeaseLostReason } from './lease.js';

export interface LeaderLeaseOptions extends LeaseEvents {
  /** A `redis://` URL or ioredis options. The lease opens a connection of its own (its timeouts are the lease's). */
  redis: string | RedisOptions;
  /** One key per cluster and role. */
  key?: string;
  ttlMs?: number;
  /** Longest wait between retries while Redis is unreachable. */
  maxBackoffMs?: number;
  /** Identifies this replica in the key's value (default: host, pid and a random part). */
  token?: string;
}

export const LEADER_LEASE_DEFAULTS = {
  key: 'keel:leader',
  // Incidents are judged per minute: a takeover within ~20 s of a replica dying is prompt enough, and a
  // renewal every 5 s is nothing for Redis. A shorter TTL would hand over on every Redis hiccup.
  ttlMs: 15_000, // 15 s
  // Give up the lease this fraction of the TTL before the key could expire: room for a timer that fires
  // late on a busy event loop, and for clock-rate drift between this host and Redis.
  marginRatio: 0.2,
  // Retries while Redis is down stop growing here, so a recovered Redis gets a leader again quickly.
  maxBackoffMs: 10_000, // 10 s
  // Each step of letting go (the claim in flight, the release, the goodbye) gets this long: a healthy Redis
  // answers in a millisecond, and a shutdown must stay well inside the server's drain timeout.
  stopTimeoutMs: 500,
} as const;

// Acquire: SET NX PX, or adopt the key if it already holds our token (an earlier attempt whose reply was
// lost, or a renewal that arrived after we had let go): either way nobody else holds it.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** A countdown started before a claim is sent; the lease is valid until it runs out. */
class Validity {
  expired = false;
  private readonly timer: NodeJS.Timeout;
  constructor(ms: number, onExpire: (v: Validity) => void) {
    this.timer = setTimeout(() => {
      this.expired = true;
      onExpire(this);
    }, ms);
  }
  cancel(): void {
    clearTimeout(this.timer);
  }
}

export class LeaderLease implements Lease {
  readonly token: string;
  private readonly key: string;
  private readonly ttlMs: number;
  private readonly validityMs: number;
  private readonly intervalMs: number;
  private readonly maxBackoffMs: number;
  private redis: Redis | undefined;
  private validity: Validity | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  private isHeld = false;
  private lastConnectionError: Error | undefined;

  constructor(private readonly options: LeaderLeaseOptions) {
    this.key = options.key ?? LEADER_LEASE_DEFAULTS.key;
    this.ttlMs = options.ttlMs ?? LEADER_LEASE_DEFAULTS.ttlMs;
    this.validityMs = Math.floor(this.ttlMs * (1 - LEADER_LEASE_DEFAULTS.marginRatio));
    this.intervalMs = Math.max(1, Math.floor(this.ttlMs / 3));
    this.maxBackoffMs = options.maxBackoffMs ?? LEADER_LEASE_DEFAULTS.maxBackoffMs;
    this.token = options.token ?? `${hostname()}:${process.pid}:${randomUUID()}`;
  }

  get held(): boolean {
    return this.isHeld;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    const base: RedisOptions = typeof this.options.redis === 'string' ? {} : this.options.redis;
    const settings: RedisOptions = {
      ...base,
      // A command that has not answered within a renewal interval will not answer in time to matter.
      commandTimeout: this.intervalMs,
      connectTimeout: Math.max(this.intervalMs, 1_000),
      retryStrategy: (attempt) => leaseRetryDelayMs(attempt, Math.max(10, this.intervalMs / 10), this.maxBackoffMs),
      connectionName: 'keel-lease',
    };
    this.redis = typeof this.options.redis === 'string' ? new Redis(this.options.redis, settings) : new Redis(settings);
    // Connection errors repeat on every reconnect; they are reported once per failed command instead.
    this.redis.on('error', (err: Error) => {
      this.lastConnectionError = err;
    });
    this.redis.on('ready', () => {
      this.lastConnectionError = undefined;
    });
    this.schedule(0);
  }

  /**
   * Lets go within `stopTimeoutMs` whatever Redis does: a shutdown must not wait out command timeouts and
   * reconnects. With Redis unreachable nothing is released (the key expires by itself, a TTL later).
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    clearTimeout(this.timer);
    const redis = this.redis;
    const reachable = redis?.status === 'ready';
    // A claim queued behind a reconnect would hold us for its command timeout: fail it now instead.
    if (redis !== undefined && !reachable) redis.disconnect();
    await within(this.running, LEADER_LEASE_DEFAULTS.stopTimeoutMs);
    this.validity?.cancel();
    this.validity = undefined;
    // Stop acting before letting go: the next holder may start the moment the key is gone.
    if (this.isHeld) this.lose('stopped');
    if (!wasRunning || redis === undefined) return;
    if (!reachable || redis.status !== 'ready') {
      redis.disconnect();
      return;
    }
    // Compare-and-delete even when we think we do not hold it: an acquire whose reply we never saw may have set it.
    const released = redis.eval(RELEASE, 1, this.key, this.token).catch((err: unknown) => this.report(err));
    await within(released, LEADER_LEASE_DEFAULTS.stopTimeoutMs);
    await within(redis.quit(), LEADER_LEASE_DEFAULTS.stopTimeoutMs);
    redis.disconnect();
  }

  private schedule(delayMs: number): void {
    if (this.state !== 'running') return;
    this.timer = setTimeout(() => {
      this.running = this.claim().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  /** One acquire (when not held) or renewal (when held); schedules the next. */
  private async claim(): Promise<void> {
    const redis = this.redis!;
    const renewing = this.isHeld;
    const validity = new Validity(this.validityMs, (v) => this.expire(v));
    let ok: boolean;
    try {
      const script = renewing ? RENEW : ACQUIRE;
      ok = (await redis.eval(script, 1, this.key, this.token, String(this.ttlMs))) === 1;
    } catch (err) {
      validity.cancel();
      this.failures++;
      this.report(err);
      const delay = leaseRetryDelayMs(this.failures, Math.max(10, this.intervalMs / 5), this.maxBackoffMs);
      // While held, retry well within the validity left; a follower backs off further.
      this.schedule(this.isHeld ? Math.min(delay, this.intervalMs / 2) : delay);
      return;
    }
    this.failures = 0;
    if (this.state !== 'running') {
      validity.cancel();
      return;
    }
    if (ok && !validity.expired) {
      this.validity?.cancel();
      this.validity = validity;
      if (!this.isHeld) {
        this.isHeld = true;
        safeCall(this.options, () => this.options.onAcquired?.());
      }
      this.schedule(this.intervalMs);
      return;
    }
    validity.cancel();
    if (!ok && this.isHeld) this.lose('taken');
    // A claim that succeeded but answered too late is retried at once: the key holds our token, so it is adopted.
    this.schedule(ok ? 0 : this.intervalMs);
  }

  private expire(validity: Validity): void {
    if (validity !== this.validity) return;
    this.validity = undefined;
    if (this.isHeld) this.lose('expired');
  }

  private lose(reason: LeaseLostReason): void {
    this.isHeld = false;
    this.validity?.cancel();
    this.validity = undefined;
    safeCall(this.options, () => this.options.onLost?.(reason));
  }

  private report(err: unknown): void {
    const error = asError(err);
    if (this.lastConnectionError !== undefined && error.cause === undefined) error.cause = this.lastConnectionError;
    safeCall(this.options, () => this.options.onError?.(error));
  }
}

/** Waits for `promise` (if any), but no longer than `ms`; never rejects. */
async function within(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (promise === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
