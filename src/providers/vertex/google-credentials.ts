/**
 * OAuth2 access tokens for Vertex deployments, from Google's own auth library (`google-auth-library`):
 * a service-account key file named by the deployment (`credentials_file`), or application default
 * credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's user credentials, the metadata server on
 * Google Cloud). A service account signs its own JWT access tokens (Google's "self-signed JWT", which
 * Vertex AI accepts, as Google's own client libraries use), so no token endpoint is on the request
 * path; other credentials get tokens from Google's token service. One `TokenCache` per credential
 * source refreshes them before they expire.
 */
import type { GoogleAuth as GoogleAuthType } from 'google-auth-library';
import { z } from 'zod';
import type { Deployment } from '../../config/resolve-config.js';
import { SIMULATED_GOOGLE_TOKEN } from '../../config/simulated-credentials.js';
import { systemClock } from '../../core/clock.js';
import { TokenCache, type AccessToken } from './token-cache.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
// When a token's lifetime cannot be read, ask again after this long (the library caches meanwhile).
const UNKNOWN_LIFETIME_MS = 10 * 60 * 1000; // 10 min

const jwtClaims = z.looseObject({ exp: z.number() });

const caches = new Map<string, TokenCache>();

export type TokenResult = { ok: true; token: string } | { ok: false; reason: string };

export async function googleTokenFor(deployment: Deployment): Promise<TokenResult> {
  if (deployment.simulated === true) return { ok: true, token: SIMULATED_GOOGLE_TOKEN };
  const key = deployment.credentialsFile ?? '';
  let cache = caches.get(key);
  if (cache === undefined) {
    cache = new TokenCache(tokenSource(deployment.credentialsFile), systemClock);
    caches.set(key, cache);
  }
  try {
    return { ok: true, token: await cache.get() };
  } catch (err) {
    // The library's messages name the source it tried (a file path, "Could not load the default
    // credentials"), never a key; keep the first line.
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
    return { ok: false, reason: `no Google access token could be obtained (${first})` };
  }
}

function tokenSource(keyFile: string | undefined): () => Promise<AccessToken> {
  // Google's library (~5 MB resident) is loaded by the first Vertex deployment that needs a real token.
  let auth: GoogleAuthType | undefined;
  return async () => {
    const { GoogleAuth, JWT } = await import('google-auth-library');
    auth ??= new GoogleAuth({ scopes: [CLOUD_PLATFORM], ...(keyFile === undefined ? {} : { keyFile }) });
    const client = await auth.getClient();
    if (client instanceof JWT) client.useJWTAccessWithScope = true;
    const headers = await client.getRequestHeaders();
    const token = headers.get('authorization')?.replace(/^Bearer\s+/i, '');
    if (token === undefined || token === '') throw new Error('the credentials gave no bearer token');
    return { token, expiresAtMs: expiryOf(token, client.credentials.expiry_date) };
  };
}

/** A self-signed JWT says when it expires; an opaque token's expiry is what the token service said. */
export function expiryOf(token: string, reportedMs: number | null | undefined): number {
  const parts = token.split('.');
  if (parts.length === 3) {
    try {
      const claims = jwtClaims.safeParse(JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')));
      if (claims.success) return claims.data.exp * 1000;
    } catch {
      // not a JWT after all
    }
  }
  return typeof reportedMs === 'number' && reportedMs > 1 ? reportedMs : systemClock.now() + UNKNOWN_LIFETIME_MS;
}

/** For tests: forget every cached token source. */
export function resetGoogleTokenCaches(): void {
  caches.clear();
}
