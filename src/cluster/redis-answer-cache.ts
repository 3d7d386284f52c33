/**
 * The degraded-answer cache shared by every replica through Redis: an answer remembered by one replica can
 * stand in on another when every provider is down. Written through to the local cache too, so a replica
 * whose Redis is slow or down still serves what it remembered itself; a read that fails or times out
 * falls back to the local cache. Entries expire with the route's TTL in Redis (`SET ... PX`), so nothing
 * grows without bound.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { ChatResponse } from '../core/chat-response.js';
import { ResponseCache, type AnswerCache } from '../router/response-cache.js';
import { SHARED_REDIS_DEFAULTS } from './redis-connection.js';

/** Enough of a stored answer to trust it was written by Keel (the rest is Keel's own JSON). */
const storedAnswer = z.looseObject({ id: z.string(), model: z.string(), content: z.array(z.looseObject({ type: z.string() })), finishReason: z.string() });

export interface RedisAnswerCacheStats {
  hits: number;
  misses: number;
  failures: number;
}

export class RedisAnswerCache implements AnswerCache {
  private readonly local = new ResponseCache();
  private readonly prefix: string;
  readonly stats: RedisAnswerCacheStats = { hits: 0, misses: 0, failures: 0 };

  constructor(
    private readonly redis: Redis,
    options: { prefix?: string; onError?: (err: unknown) => void } = {},
  ) {
    this.prefix = `${options.prefix ?? SHARED_REDIS_DEFAULTS.prefix}:answers:`;
    this.onError = options.onError ?? (() => undefined);
  }

  private readonly onError: (err: unknown) => void;

  async get(key: string, nowMs: number): Promise<ChatResponse | undefined> {
    try {
      const text = await this.redis.get(this.prefix + key);
      if (text !== null) {
        const parsed = storedAnswer.safeParse(JSON.parse(text));
        if (parsed.success) {
          this.stats.hits += 1;
          return parsed.data as unknown as ChatResponse;
        }
      }
      this.stats.misses += 1;
    } catch (err) {
      this.stats.failures += 1;
      this.onError(err);
    }
    return this.local.get(key, nowMs);
  }

  set(key: string, response: ChatResponse, ttlMs: number, nowMs: number): void {
    this.local.set(key, response, ttlMs, nowMs);
    this.redis.set(this.prefix + key, JSON.stringify(response), 'PX', Math.max(1, Math.round(ttlMs))).catch((err: unknown) => {
      this.stats.failures += 1;
      this.onError(err);
    });
  }
}
