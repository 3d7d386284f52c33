/**
 * Reads what a provider's error answer says about waiting, from its headers. Deciding this once, where an
 * upstream failure is classified, means every policy downstream reads one number. Garbage and negative
 * values are ignored rather than trusted, and absurd values are capped so a broken header cannot park a
 * request for a day. It also picks out the rate-limit headers worth passing on to a client, and tells a
 * quota used up for hours from a rate limit that clears in seconds when the headers alone say so.
 */
import type { UpstreamFailure } from './types.js';

// A header asking for more than a day is a bug or an attack, not advice.
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000; // 24 h

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/**
 * The wait a provider asked for, in milliseconds, or undefined when it gave no usable advice.
 * `retry-after-ms` (OpenAI, float milliseconds) wins over `retry-after` (RFC 9110: delay-seconds or an
 * HTTP-date, read relative to `nowMs`). Garbage and negative values are ignored; a date already past
 * means "now" (0); anything above `maxMs` (default 24 h) is clamped.
 */
export function parseRetryAfterMs(headers: HeaderBag, nowMs: number, maxMs: number = MAX_RETRY_AFTER_MS): number | undefined {
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

// A wait this long is a quota used up (a daily limit, an exhausted tier), not a momentary rate limit: the
// router's retry waits are seconds, and a breaker's cool-down is a minute or two.
export const QUOTA_WAIT_MS = 60 * 60 * 1000; // 1 h

// Headers that carry a provider's rate-limit state: RFC 9110, OpenAI (and Azure OpenAI, Groq and other
// OpenAI-compatible servers), Anthropic. Nothing else of an upstream answer is ever passed on.
const RATE_LIMIT_HEADER = /^(retry-after|retry-after-ms|x-ratelimit-[a-z0-9-]+|anthropic-ratelimit-[a-z0-9-]+)$/;
// Passed on to clients, so a value must be safe in a response header: printable ASCII, bounded.
const SAFE_VALUE = /^[\x20-\x7e]{1,200}$/;
const MAX_RATE_LIMIT_HEADERS = 32; // Anthropic sends 13 today; more is not rate-limit state

/** The rate-limit headers of an answer, lower-cased, values verbatim; undefined when there are none. */
export function pickRateLimitHeaders(headers: HeaderBag): Record<string, string> | undefined {
  const picked: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined || !RATE_LIMIT_HEADER.test(name) || name in picked) continue;
    const trimmed = first.trim();
    if (!SAFE_VALUE.test(trimmed)) continue;
    picked[name] = trimmed;
    if (++count >= MAX_RATE_LIMIT_HEADERS) break;
  }
  return count === 0 ? undefined : picked;
}

/**
 * Completes a classified failure with what the headers say: the wait (unless the body already gave one,
 * as Gemini's RetryInfo does), the rate-limit headers to pass on, and `quotaExhausted` for a rate limit
 * that asks for an hour or more (Azure OpenAI's exhausted daily quota asks for `retry-after: 86400`).
 * `x-ratelimit-remaining-requests: 0` alone says nothing of the period: it is per minute at OpenAI and
 * per day at Groq, and the classifier does not know which server it reads.
 */
export function addRateLimitSignals(failure: UpstreamFailure, headers: HeaderBag, nowMs: number): UpstreamFailure {
  if (failure.retryAfterMs === undefined) {
    const retryAfterMs = parseRetryAfterMs(headers, nowMs);
    if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
  }
  const rateLimitHeaders = pickRateLimitHeaders(headers);
  if (rateLimitHeaders !== undefined) failure.rateLimitHeaders = rateLimitHeaders;
  if (failure.outcome === 'rate_limited' && (failure.retryAfterMs ?? 0) >= QUOTA_WAIT_MS) failure.quotaExhausted = true;
  return failure;
}
