/**
 * Reads how long a provider asked us to wait. Deciding this once, where an upstream failure is classified,
 * means every policy downstream reads one number. Garbage and negative values are ignored rather than
 * trusted, and absurd values are capped so a broken header cannot park a request for a day.
 */
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
