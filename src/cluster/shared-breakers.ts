/**
 * Breaker openings shared between replicas through Redis. When this replica's breaker for a deployment
 * opens on its own evidence, the opening (`untilMs`, `openCount`, our origin) is recorded in a Redis hash
 * and published on a channel, in one script; every other replica opens its own breaker for that
 * deployment until the same `untilMs` (`CircuitBreaker.openUntil`, reason `remote_open`). Applying a remote
 * opening publishes nothing, so there is no echo between replicas. The hash lets a replica that starts late,
 * or missed messages while disconnected, catch up; its entries carry `untilMs`, so stale ones are ignored,
 * and the key expires a minute after its last opening ends. Every replica keeps the hash true: at each
 * resync it records any breaker open here (its own or learned) that the hash lacks — Redis restarted
 * empty, or the replica that opened it died — and the script keeps only the longest opening, so this
 * neither overwrites nor echoes.
 *
 * Closing by a client call is not shared: each replica's breaker half-opens when the shared `untilMs`
 * passes and its own call decides, so one replica's lucky success never closes the others onto a provider
 * still failing for them. A *recovery probe* is the exception: only the replica holding the leader lease
 * sends them (router/recovery-prober.ts), for the cluster, so its answered probe is published and every
 * replica closes (`remote_recovered`); should the provider still fail, the overdue and fault counting of
 * each replica re-opens within seconds. A local close removes our own entry from the hash (a recovery
 * removes any replica's), so a replica starting later does not skip a recovered deployment.
 *
 * Redis is never on the request path: breaker events publish in the background, and Redis being slow or
 * down only means each replica runs on its own breakers (counted in `stats()`); when it answers again the
 * replica re-reads the hash and records there its still-open breakers. Replicas' clocks are assumed to agree
 * (NTP): a skew of a few hundred ms only shifts when each half-opens.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis, RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { CircuitStateChangeEvent } from '../resilience/circuit-breaker.js';
import type { Router } from '../router/router.js';
import { SHARED_REDIS_DEFAULTS, closeSharedRedis, openSharedRedis } from './redis-connection.js';

export const SHARED_BREAKERS_DEFAULTS = {
  // Re-reads the hash this often even when all is well: covers a message lost while the subscriber
  // reconnected. One HGETALL of a handful of fields per replica every few seconds is nothing for Redis.
  resyncIntervalMs: 5_000, // 5 s
  // A remote opening never holds a breaker longer than this (the breaker's own max open duration is
  // 5 min): a message from a replica with a wrong clock or a bug cannot shut a deployment for hours.
  maxRemoteOpenMs: 600_000, // 10 min
  // The hash outlives its last opening by this much, for replicas comparing untilMs with skewed clocks.
  hashGraceMs: 60_000, // 1 min
} as const;

export interface SharedBreakersOptions {
  redis: string | RedisOptions;
  /** Its `policies` are read at each use: `resetPolicies()` replaces the breaker registry. */
  router: Pick<Router, 'events' | 'policies'>;
  /** Namespace of the hash and the channel (default `keel`). */
  prefix?: string;
  /** Only these deployments' openings are applied (default: any). */
  knows?: (deploymentId: string) => boolean;
  /** Identifies this replica in what it publishes (default: host, pid and a random part). */
  origin?: string;
  commandTimeoutMs?: number;
  resyncIntervalMs?: number;
  nowMs?: () => number;
  /** Redis became unreachable or too slow (reported once per episode, not per failed command). */
  onDegraded?: (err: Error) => void;
  /** Redis answers again; the replica has resynchronised. */
  onRecovered?: () => void;
}

export interface SharedBreakersStats {
  /** False while Redis is unreachable or failing: breakers are then local only. */
  healthy: boolean;
  published: number;
  received: number;
  /** Remote openings that changed a local breaker. */
  applied: number;
  /** Redis commands that failed or timed out. */
  failures: number;
  /** Episodes of Redis being unreachable. */
  degradedEpisodes: number;
  resyncs: number;
  lastError: string | undefined;
}

const Opening = z.object({
  deploymentId: z.string().min(1),
  untilMs: z.number().finite(),
  openCount: z.number().int().positive().optional(),
  origin: z.string().min(1),
});
type Opening = z.infer<typeof Opening>;

// Records an opening unless the hash already holds a longer one, and publishes it: one round trip.
// KEYS: hash, channel. ARGV: deploymentId, opening JSON, untilMs, nowMs, graceMs.
const RECORD = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, held = pcall(cjson.decode, current)
  if ok and type(held) == 'table' and tonumber(held.untilMs) and tonumber(held.untilMs) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3]) - tonumber(ARGV[4]) + tonumber(ARGV[5])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
redis.call('PUBLISH', KEYS[2], ARGV[2])
return 1`;
// Removes a deployment's entry only if this replica recorded it: another's longer opening stays.
// KEYS: hash. ARGV: deploymentId, origin.
const CLEAR = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local ok, held = pcall(cjson.decode, current)
if ok and type(held) == 'table' and held.origin == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

export class SharedBreakers {
  readonly origin: string;
  private readonly hashKey: string;
  private readonly channel: string;
  /** Operator overrides (force open / close): a hash of forced-open deployments and a channel. */
  private readonly forcedKey: string;
  private readonly forceChannel: string;
  /** A recovery probe was answered: every replica closes that deployment's breaker. */
  private readonly recoveredChannel: string;
  private readonly nowMs: () => number;
  private readonly localOpen = new Map<string, { untilMs: number; openCount: number }>();
  private readonly counts = { published: 0, received: 0, applied: 0, failures: 0, degradedEpisodes: 0, resyncs: 0 };
  private commands: Redis | undefined;
  private subscriber: Redis | undefined;
  private detach: (() => void) | undefined;
  private interval: NodeJS.Timeout | undefined;
  private resyncing: Promise<void> | undefined;
  private degraded = false;
  private lastError: Error | undefined;
  private stopped = false;

  constructor(private readonly options: SharedBreakersOptions) {
    const prefix = options.prefix ?? SHARED_REDIS_DEFAULTS.prefix;
    this.hashKey = `${prefix}:breakers:open`;
    this.channel = `${prefix}:breakers`;
    this.forcedKey = `${prefix}:breakers:forced`;
    this.forceChannel = `${prefix}:breakers:force`;
    this.recoveredChannel = `${prefix}:breakers:recovered`;
    this.origin = options.origin ?? `${hostname()}:${process.pid}:${randomUUID()}`;
    this.nowMs = options.nowMs ?? Date.now;
  }

  start(): void {
    if (this.commands !== undefined || this.stopped) return;
    const timeouts = this.options.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: this.options.commandTimeoutMs };
    const remember = (err: Error): void => void (this.lastError = err);
    this.commands = openSharedRedis(this.options.redis, { name: 'keel-breakers', ...timeouts, onConnectionError: remember });
    this.commands.on('close', () => this.fail(this.lastError ?? new Error('redis connection closed')));
    this.commands.on('ready', () => void this.resync());
    this.subscriber = openSharedRedis(this.options.redis, { name: 'keel-breakers-sub', ...timeouts, subscriber: true, onConnectionError: remember });
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
      else if (channel === this.forceChannel) this.applyForce(text);
      else if (channel === this.recoveredChannel) this.applyRecovered(text);
    });
    // ioredis re-subscribes after a reconnect; what was published meanwhile is read back from the hash.
    this.subscriber.on('ready', () => void this.resync());
    this.subscriber.subscribe(this.channel, this.forceChannel, this.recoveredChannel).catch((err: unknown) => this.fail(err));
    this.detach = this.options.router.events.on('breaker', (event) => this.onBreaker(event));
    const every = this.options.resyncIntervalMs ?? SHARED_BREAKERS_DEFAULTS.resyncIntervalMs;
    this.interval = setInterval(() => void this.resync(), every);
    this.interval.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.detach?.();
    clearInterval(this.interval);
    await this.resyncing;
    await Promise.all([closeSharedRedis(this.commands), closeSharedRedis(this.subscriber)]);
  }

  /**
   * An operator forced this replica's breaker open or closed: every replica follows, and one that starts
   * later finds the forced-open ones in the hash. Throws when Redis is unreachable (the admin says so).
   */
  async shareForce(deploymentId: string, action: 'open' | 'close'): Promise<void> {
    const redis = this.commands;
    if (redis === undefined || this.stopped) return;
    if (action === 'open') await redis.hset(this.forcedKey, deploymentId, this.origin);
    else await redis.hdel(this.forcedKey, deploymentId);
    await redis.publish(this.forceChannel, JSON.stringify({ deploymentId, action, origin: this.origin }));
  }

  private applyForce(text: string): void {
    let message: { deploymentId?: unknown; action?: unknown; origin?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    const { deploymentId, action, origin } = message;
    if (typeof deploymentId !== 'string' || origin === this.origin || (action !== 'open' && action !== 'close')) return;
    if (this.options.knows !== undefined && !this.options.knows(deploymentId)) return;
    const breaker = this.options.router.policies.breakers.get(deploymentId);
    if (action === 'open') breaker.forceOpen();
    else if (breaker.state.state === 'forced_open') breaker.forceClose();
  }

  stats(): SharedBreakersStats {
    return { healthy: !this.degraded && this.commands?.status === 'ready', ...this.counts, lastError: this.lastError?.message };
  }

  private onBreaker(event: CircuitStateChangeEvent): void {
    const id = event.deploymentId;
    if (event.to === 'open' && event.reason !== 'remote_open' && event.untilMs !== undefined) {
      const state = this.options.router.policies.breakers.get(id).state;
      const openCount = state.state === 'open' ? state.openCount : 1;
      this.localOpen.set(id, { untilMs: event.untilMs, openCount });
      void this.publish({ deploymentId: id, untilMs: event.untilMs, openCount, origin: this.origin });
    } else if (event.to === 'closed') {
      const wasOurs = this.localOpen.delete(id);
      if (event.reason === 'recovery_probe_succeeded') void this.shareRecovery(id);
      else if (wasOurs) void this.clear(id);
    }
  }

  /** Our recovery probe was answered: drop the deployment's opening, whoever recorded it, and tell all. */
  private async shareRecovery(deploymentId: string): Promise<void> {
    const redis = this.commands;
    if (redis === undefined || this.stopped) return;
    try {
      await redis.hdel(this.hashKey, deploymentId);
      await redis.publish(this.recoveredChannel, JSON.stringify({ deploymentId, origin: this.origin }));
      this.succeed();
    } catch (err) {
      this.fail(err);
    }
  }

  private applyRecovered(text: string): void {
    let message: { deploymentId?: unknown; origin?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    const { deploymentId, origin } = message;
    if (typeof deploymentId !== 'string' || origin === this.origin) return;
    if (this.options.knows !== undefined && !this.options.knows(deploymentId)) return;
    this.localOpen.delete(deploymentId);
    if (this.options.router.policies.breakers.get(deploymentId).recoveredElsewhere()) this.counts.applied++;
  }

  private async publish(opening: Opening): Promise<void> {
    const redis = this.commands;
    if (redis === undefined || this.stopped) return;
    try {
      const nowMs = this.nowMs();
      const graceMs = String(SHARED_BREAKERS_DEFAULTS.hashGraceMs);
      const args = [opening.deploymentId, JSON.stringify(opening), String(opening.untilMs), String(nowMs), graceMs];
      if ((await redis.eval(RECORD, 2, this.hashKey, this.channel, ...args)) === 1) this.counts.published++;
      this.succeed();
    } catch (err) {
      this.fail(err);
    }
  }

  private async clear(deploymentId: string): Promise<void> {
    const redis = this.commands;
    if (redis === undefined || this.stopped) return;
    try {
      await redis.eval(CLEAR, 1, this.hashKey, deploymentId, this.origin);
      this.succeed();
    } catch (err) {
      this.fail(err);
    }
  }

  private receive(text: string): void {
    this.counts.received++;
    this.apply(text);
  }

  private apply(text: string): void {
    const opening = safeOpening(text);
    if (opening === undefined) return; // not ours to understand: another version, or garbage
    if (opening.origin === this.origin) return;
    if (this.options.knows !== undefined && !this.options.knows(opening.deploymentId)) return;
    const untilMs = Math.min(opening.untilMs, this.nowMs() + SHARED_BREAKERS_DEFAULTS.maxRemoteOpenMs);
    const breaker = this.options.router.policies.breakers.get(opening.deploymentId);
    if (breaker.openUntil(untilMs, 'remote', opening.openCount ?? 1)) this.counts.applied++;
  }

  /** Applies every opening in the hash, and records there the open breakers it lacks. */
  private resync(): Promise<void> {
    if (this.resyncing !== undefined || this.stopped) return this.resyncing ?? Promise.resolve();
    this.resyncing = this.runResync().finally(() => {
      this.resyncing = undefined;
    });
    return this.resyncing;
  }

  private async runResync(): Promise<void> {
    const redis = this.commands;
    if (redis === undefined || redis.status !== 'ready') return;
    let entries: Record<string, string>;
    try {
      entries = await redis.hgetall(this.hashKey);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.succeed();
    for (const text of Object.values(entries)) this.apply(text);
    try {
      for (const id of Object.keys(await redis.hgetall(this.forcedKey))) {
        if (this.options.knows === undefined || this.options.knows(id)) this.options.router.policies.breakers.get(id).forceOpen();
      }
    } catch (err) {
      this.fail(err);
    }
    this.counts.resyncs++;
    await this.assertOpen(entries);
  }

  /**
   * Records every breaker open here — opened on this replica's evidence or learned from another — that the
   * hash does not hold as long: Redis restarted empty, or the replica that opened it died before it could
   * republish. A replica that starts (or reconnects) then still learns the cluster's breakers. One that
   * learned an opening records it under its own origin; the hash keeps the longest opening, so replicas
   * asserting the same one neither overwrite each other nor echo (nothing changes, nothing is published).
   */
  private async assertOpen(entries: Record<string, string>): Promise<void> {
    const held = new Map<string, number>();
    for (const [id, text] of Object.entries(entries)) {
      const parsed = safeOpening(text);
      if (parsed !== undefined) held.set(id, parsed.untilMs);
    }
    const nowMs = this.nowMs();
    for (const [id, snapshot] of Object.entries(this.options.router.policies.breakers.toJSON())) {
      const state = snapshot.state;
      if (state.state !== 'open' || state.untilMs <= nowMs || (held.get(id) ?? -Infinity) >= state.untilMs) continue;
      if (this.options.knows !== undefined && !this.options.knows(id)) continue;
      const ours = this.localOpen.get(id);
      const openCount = ours !== undefined && ours.untilMs === state.untilMs ? ours.openCount : state.openCount;
      await this.publish({ deploymentId: id, untilMs: state.untilMs, openCount, origin: this.origin });
    }
  }

  private fail(err: unknown): void {
    if (this.stopped) return;
    const error = err instanceof Error ? err : new Error(String(err));
    this.counts.failures++;
    this.lastError = error;
    if (this.degraded) return;
    this.degraded = true;
    this.counts.degradedEpisodes++;
    this.options.onDegraded?.(error);
  }

  private succeed(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.options.onRecovered?.();
    // Redis was slow rather than gone (no reconnect, so no 'ready'): catch up now.
    void this.resync();
  }
}

function safeOpening(text: string): Opening | undefined {
  try {
    return Opening.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}
