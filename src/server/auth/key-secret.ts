/**
 * Virtual key secrets: made from 32 random bytes behind a recognisable `keel_` prefix (so secret scanners
 * and people can tell one at a glance), stored only as their SHA-256, and read from the header each client
 * SDK sends: `Authorization: Bearer` (OpenAI) or `x-api-key` (Anthropic). A hash of 256 random bits needs
 * no salt or slow KDF: nothing short of the secret itself finds the preimage, and a lookup by hash leaks no
 * timing worth having.
 */
import { hash, randomBytes } from 'node:crypto';

export const KEY_SECRET_PREFIX = 'keel_';
/** How much of a secret is kept to recognise it in lists: the prefix and 8 random characters. */
const SHOWN_CHARS = KEY_SECRET_PREFIX.length + 8;

export function newKeySecret(): string {
  return `${KEY_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newKeyId(): string {
  return `key_${randomBytes(8).toString('hex')}`;
}

export function hashKeySecret(secret: string): string {
  return hash('sha256', secret, 'hex'); // one-shot: a quarter of createHash's cost on every keyed request
}

/** `keel_AbCd1234…`: enough to tell keys apart in a list, far too little to use. */
export function shownPrefix(secret: string): string {
  return `${secret.slice(0, SHOWN_CHARS)}…`;
}

/**
 * The candidate secrets a request presents, in the order they are tried: the bearer token, then
 * `x-api-key`, then `x-goog-api-key`. An SDK may send a placeholder in one of them (`apiKey: 'unused'`), so each is tried.
 */
export function presentedSecrets(headers: Record<string, string | string[] | undefined>): string[] {
  const found: string[] = [];
  const authorization = headers['authorization'];
  if (typeof authorization === 'string') {
    const token = plainBearerToken(authorization) ?? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (token !== undefined) found.push(token);
  }
  // `x-goog-api-key` is where Gemini clients (the @google/genai SDK, Gemini CLI) put theirs.
  for (const name of ['x-api-key', 'x-goog-api-key']) {
    const apiKey = headers[name];
    if (typeof apiKey === 'string' && apiKey.trim() !== '') found.push(apiKey.trim());
  }
  return found;
}

/**
 * The token of `Authorization: Bearer <token>` in the form nearly every client sends (one space, no other
 * whitespace), read without a regular expression or a list; undefined for any other form, which
 * `presentedSecrets` then reads as it always does.
 */
export function plainBearerToken(authorization: string | string[] | undefined): string | undefined {
  if (typeof authorization !== 'string' || authorization.length <= BEARER.length || !authorization.startsWith(BEARER)) return undefined;
  for (let i = BEARER.length; i < authorization.length; i++) {
    const c = authorization.charCodeAt(i);
    if (c <= 32 || c === NO_BREAK_SPACE) return undefined; // whitespace (or a control character) in a header value
  }
  return authorization.slice(BEARER.length);
}

const BEARER = 'Bearer ';
const NO_BREAK_SPACE = 0xa0; // the one other character of a Latin-1 header value that a regex's \s matches
