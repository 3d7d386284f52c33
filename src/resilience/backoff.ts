/**
 * How long to wait before a retry: exponential backoff with full jitter, and the provider's own advice
 * read from `Retry-After` / `retry-after-ms` headers. Full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter") spreads clients that failed together uniformly over the whole interval, which
 * is what breaks up a thundering herd; the retry policy decides whether the provider's advice wins.
 */
import { RESILIENCE_DEFAULTS } from './defaults.js';

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

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The wait a provider asked for, in milliseconds, or undefined when it gave no usable advice.
 * `retry-after-ms` (OpenAI, float milliseconds) wins over `retry-after` (RFC 9110: delay-seconds or an
 * HTTP-date, read relative to `nowMs`). Garbage and negative values are ignored; a date already past
 * means "now" (0); anything above `maxMs` (default 24 h) is clamped.
 */
export function parseRetryAfter(
  headers: HeaderBag,
  nowMs: number,
  maxMs: number = RESILIENCE_DEFAULTS.retryAfter.maxHeaderMs,
): number | undefined {
  const fromMs = parseNonNegativeNumber(header(headers, 'retry-after-ms'));
  if (fromMs !== undefined) return Math.min(fromMs, maxMs);

  const raw = header(headers, 'retry-after');
  if (raw === undefined) return undefined;
  const seconds = parseNonNegativeNumber(raw);
  if (seconds !== undefined) return Math.min(seconds * 1000, maxMs);
  const dateMs = parseHttpDate(raw);
  if (dateMs === undefined) return undefined;
  return Math.min(Math.max(dateMs - nowMs, 0), maxMs);
}

/** Header names are case-insensitive; a repeated header keeps its first value. */
function header(headers: HeaderBag, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) return first.trim();
  }
  return undefined;
}

// Digits with an optional fraction: RFC 9110 asks for integer seconds, but providers do send "1.5".
const NUMBER = /^\d+(\.\d+)?$/;

function parseNonNegativeNumber(raw: string | undefined): number | undefined {
  if (raw === undefined || !NUMBER.test(raw)) return undefined;
  // Digits alone can only overflow to Infinity, which the caller's cap turns into the maximum.
  return Number(raw);
}

// Date.parse accepts almost anything ("1" is the year 2001), so demand the shape of an HTTP-date:
// IMF-fixdate, RFC 850 or asctime all start with a day name.
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s/;

function parseHttpDate(raw: string): number | undefined {
  if (!HTTP_DATE.test(raw)) return undefined;
  const ms = Date.parse(raw);
  return Number.isFinite(ms) ? ms : undefined;
}
