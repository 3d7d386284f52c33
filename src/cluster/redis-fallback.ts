/**
 * Redis is not a single point of failure for the counters: an operation that cannot use Redis (the
 * connection is not ready, or it just failed) runs locally instead. After a failure Redis is skipped for
 * `retryAfterFailureMs`, so a slow Redis costs one timeout a second, not one per request, and tried again
 * as soon as the connection is back (`retryNow`). Each episode of trouble is reported once, and its end.
 */
import type { Redis } from 'ioredis';

export interface RedisFallbackOptions {
  retryAfterFailureMs: number;
  /** Redis became unreachable or too slow (once per episode). */
  onDegraded?: ((err: Error) => void) | undefined;
  onRecovered?: (() => void) | undefined;
}

export class RedisFallback {
  readonly counts = { fallbacks: 0, failures: 0, degradedEpisodes: 0 };
  /** The latest failure, or connection error, seen. */
  lastError: Error | undefined;
  private skipUntilMs = 0;
  private degraded = false;

  constructor(
    private readonly redis: Pick<Redis, 'status'>,
    private readonly options: RedisFallbackOptions,
  ) {}

  get healthy(): boolean {
    return !this.degraded && this.redis.status === 'ready';
  }

  /** Redis may be used now. */
  usable(): boolean {
    return this.redis.status === 'ready' && Date.now() >= this.skipUntilMs;
  }

  /** The connection is back: the next operation goes to Redis again. */
  retryNow(): void {
    this.skipUntilMs = 0;
  }

  async run<T>(remote: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    if (this.usable()) {
      try {
        const value = await remote();
        if (this.degraded) {
          this.degraded = false;
          this.options.onRecovered?.();
        }
        return value;
      } catch (err) {
        this.fail(err);
      }
    } else if (!this.degraded) {
      this.fail(this.lastError ?? new Error(`redis connection ${this.redis.status}`));
    }
    this.counts.fallbacks++;
    return local();
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.counts.failures++;
    this.lastError = error;
    this.skipUntilMs = Date.now() + this.options.retryAfterFailureMs;
    if (this.degraded) return;
    this.degraded = true;
    this.counts.degradedEpisodes++;
    this.options.onDegraded?.(error);
  }
}
