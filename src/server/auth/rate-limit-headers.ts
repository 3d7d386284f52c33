/**
 * The rate-limit state of a key, in the headers OpenAI sends (`x-ratelimit-limit-requests`,
 * `-remaining-requests`, `-reset-requests`, and the `-tokens` variants), which SDKs and dashboards already
 * read. Resets are durations in OpenAI's style: `20ms`, `1.5s`, `6m0s`.
 */
import type { BucketState } from './usage-counters.js';

export type LimitKind = 'requests' | 'tokens';

export function formatDuration(ms: number): string {
  const whole = Math.max(0, Math.ceil(ms));
  if (whole < 1_000) return `${whole}ms`;
  if (whole < 60_000) return `${Math.round(whole / 100) / 10}s`;
  const minutes = Math.floor(whole / 60_000);
  return `${minutes}m${Math.round((whole - minutes * 60_000) / 1_000)}s`;
}

/**
 * Adds one bucket's three headers to `target`. Written into the answer's own headers by name: a headers
 * object of their own, copied over with `Object.assign`, cost a keyed request twice as much (a store per
 * header through the generic path, and the object).
 */
export function writeBucketHeaders(target: Record<string, string>, kind: LimitKind, state: BucketState): void {
  if (kind === 'requests') {
    target['x-ratelimit-limit-requests'] = String(state.limit);
    target['x-ratelimit-remaining-requests'] = String(state.remaining);
    target['x-ratelimit-reset-requests'] = formatDuration(state.resetMs);
  } else {
    target['x-ratelimit-limit-tokens'] = String(state.limit);
    target['x-ratelimit-remaining-tokens'] = String(state.remaining);
    target['x-ratelimit-reset-tokens'] = formatDuration(state.resetMs);
  }
}

/** The headers of each bucket as an object of their own (a refusal's), `kinds[i]` naming what `states[i]` counts. */
export function rateLimitHeaders(kinds: readonly { kind: LimitKind }[], states: readonly BucketState[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < states.length; i++) writeBucketHeaders(headers, kinds[i]!.kind, states[i]!);
  return headers;
}
