/**
 * How long to wait before a retry: exponential backoff with full jitter (the provider's own advice,
 * `Retry-After`, is read where its failure is classified: providers/retry-after.ts). Full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter") spreads clients that failed together uniformly over the whole interval, which
 * is what breaks up a thundering herd; the retry policy decides whether the provider's advice wins.
 */

export interface BackoffParams {
  /** 1-based retry number: 1 for the first retry after the first attempt. */
  attempt: number;
  baseMs: number;
  capMs: number;
  /** A uniform random number in [0, 1). */
  random: () => number;
}

/** `random() * min(cap, base * 2^(attempt-1))`, in whole milliseconds. */
export function computeBackoffMs({ attempt, baseMs, capMs, random }: BackoffParams): number {
  if (!(attempt >= 1)) throw new RangeError(`backoff attempt must be >= 1, got ${attempt}`);
  if (!(baseMs >= 0) || !(capMs >= 0)) throw new RangeError('backoff baseMs and capMs must be >= 0');
  // 2 ** 1024 is Infinity and Math.min copes, but keep the exponent small so nothing overflows en route.
  const exponent = Math.min(attempt - 1, 52);
  const ceilingMs = Math.min(capMs, baseMs * 2 ** exponent);
  // Clamp the random draw: an injected function returning 1 (or more) must not exceed the ceiling.
  const draw = Math.min(Math.max(random(), 0), 1);
  return Math.floor(draw * ceilingMs);
}
