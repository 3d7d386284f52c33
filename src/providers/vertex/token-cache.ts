/**
 * Caches an OAuth2 access token and refreshes it before it expires, on an injected clock. Requests read
 * the cached token; the first request inside the refresh margin (or after expiry) fetches a new one, and
 * concurrent requests share that one fetch instead of stampeding the token endpoint. A failed fetch is
 * not cached: the next request tries again. Tokens are secrets: they are registered for redaction and
 * never put in an error message.
 */
import type { Clock } from '../../core/clock.js';
import { secrets } from '../../core/secrets.js';

export interface AccessToken {
  token: string;
  /** When the token stops being accepted (epoch ms). */
  expiresAtMs: number;
}

// Refresh this long before expiry: a token fetched at the last second could expire in flight, and
// google-auth-library refreshes at the same margin (eagerRefreshThresholdMillis).
const REFRESH_MARGIN_MS = 5 * 60 * 1000; // 5 min

export class TokenCache {
  private current: AccessToken | undefined;
  private inflight: Promise<AccessToken> | undefined;

  constructor(
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly refreshMarginMs: number = REFRESH_MARGIN_MS,
  ) {}

  async get(): Promise<string> {
    const current = this.current;
    if (current !== undefined && this.clock.now() < current.expiresAtMs - this.refreshMarginMs) return current.token;
    this.inflight ??= this.refresh();
    return (await this.inflight).token;
  }

  private async refresh(): Promise<AccessToken> {
    try {
      const fresh = await this.fetchToken();
      secrets.add(fresh.token);
      this.current = fresh;
      return fresh;
    } finally {
      this.inflight = undefined;
    }
  }
}
