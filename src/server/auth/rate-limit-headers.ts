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

const HEADER_NAMES: Record<LimitKind, { limit: string; remaining: string; reset: string }> = {
  requests: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  tokens: { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
};

/** The headers of each bucket, `kinds[i]` naming what `states[i]` counts. */
export function rateLimitHeaders(kinds: readonly { kind: LimitKind }[], states: readonly BucketState[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i < states.length; i++) {
    const state = states[i]!;
    const names = HEADER_NAMES[kinds[i]!.kind];
    headers[names.limit] = String(state.limit);
    headers[names.remaining] = String(state.remaining);
    headers[names.reset] = formatDuration(state.resetMs);
  }
  return headers;
}
