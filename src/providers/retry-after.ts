/**
 * Reads how long a provider asked us to wait. `retry-after-ms` (OpenAI, milliseconds) is preferred for its
 * precision; `retry-after` is seconds or an HTTP date. Garbage and negative values are ignored rather than
 * trusted, and absurd values are capped so a broken header cannot park a request for a day.
 */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000; // 24 h

type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function parseRetryAfterMs(headers: Record<string, HeaderValue>, nowMs: number): number | undefined {
  const ms = first(headers['retry-after-ms'])?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.min(Number(ms), MAX_RETRY_AFTER_MS);
  const value = first(headers['retry-after'])?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - nowMs), MAX_RETRY_AFTER_MS);
}
