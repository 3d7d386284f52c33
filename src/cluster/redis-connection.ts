/**
 * Redis connections for state shared between replicas (breakers, per-key counters), set up so Redis is
 * never a single point of failure: a short command timeout, no offline queue (a command sent while the
 * connection is down fails at once instead of waiting for a reconnect), no retries of a failed command,
 * and reconnection in the background with capped, jittered backoff. Callers treat every failure as "use
 * local state for now". A subscriber connection is the exception: its SUBSCRIBE may wait for the
 * connection, and ioredis re-subscribes by itself after a reconnect.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { leaseRetryDelayMs } from './lease.js';

export const SHARED_REDIS_DEFAULTS = {
  // Shared state answers in well under a millisecond on a healthy Redis; past this it is treated as down
  // for that call, so a slow Redis costs a request at most this much.
  commandTimeoutMs: 250,
  // Reconnection attempts stop growing here, so a recovered Redis is used again within seconds.
  maxBackoffMs: 5_000, // 5 s
  // Namespace of every key and channel; one per cluster sharing a Redis.
  prefix: 'keel',
} as const;

export interface SharedRedisOptions {
  /** Shown by `CLIENT LIST`. */
  name: string;
  commandTimeoutMs?: number;
  maxBackoffMs?: number;
  /** Send the commands issued in one event-loop turn as one write (ioredis `enableAutoPipelining`). */
  autoPipelining?: boolean;
  /** A connection for SUBSCRIBE only: commands wait for the connection instead of failing. */
  subscriber?: boolean;
  /** Connection errors repeat on every reconnect attempt; this hears each of them. */
  onConnectionError?: (err: Error) => void;
}

export function openSharedRedis(redis: string | RedisOptions, options: SharedRedisOptions): Redis {
  const commandTimeout = options.commandTimeoutMs ?? SHARED_REDIS_DEFAULTS.commandTimeoutMs;
  const maxBackoffMs = options.maxBackoffMs ?? SHARED_REDIS_DEFAULTS.maxBackoffMs;
  const subscriber = options.subscriber === true;
  const base: RedisOptions = typeof redis === 'string' ? {} : redis;
  const settings: RedisOptions = {
    ...base,
    commandTimeout,
    connectTimeout: Math.max(1_000, commandTimeout * 4),
    enableOfflineQueue: subscriber,
    maxRetriesPerRequest: subscriber ? null : 0,
    retryStrategy: (attempt) => leaseRetryDelayMs(attempt, 50, maxBackoffMs),
    connectionName: options.name,
    enableAutoPipelining: options.autoPipelining === true,
  };
  const client = typeof redis === 'string' ? new Redis(redis, settings) : new Redis(settings);
  // Without a listener ioredis prints every connection error; they are the caller's to count.
  client.on('error', (err: Error) => options.onConnectionError?.(err));
  return client;
}

/** Closes politely if Redis answers within a moment, else drops the connection. */
export async function closeSharedRedis(client: Redis | undefined): Promise<void> {
  if (client === undefined) return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const timer = setTimeout(() => client.disconnect(), 500);
  await client.quit().catch(() => client.disconnect());
  clearTimeout(timer);
}
