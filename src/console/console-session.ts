/**
 * The operator console's sign-in: a session cookie signed with a key derived from the admin token, its
 * CSRF token, the same-origin check every state-changing request must pass, and a brake on guessing.
 *
 * The cookie is stateless (`v1.<expiry>.<nonce>.<HMAC>`), so every replica that shares the admin token
 * accepts it and a restart keeps operators signed in; changing the admin token signs everyone out. It
 * never contains the token. Sign-out clears the cookie and remembers the nonce on this replica until it
 * expires. The CSRF token is an HMAC of the nonce: a page of ours can read it, another site cannot.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'keel_console';

export const CONSOLE_SESSION_DEFAULTS = {
  // A working day: long enough for an outage, short enough that a forgotten tab does not stay signed in.
  ttlMs: 12 * 60 * 60 * 1000, // 12 h
  // Guessing a 16+ character token is hopeless anyway; this keeps a script from trying at wire speed.
  failuresPerMinute: 10,
} as const;

export interface ConsoleSession {
  nonce: string;
  expiresAtMs: number;
  csrf: string;
}

type Headers = Record<string, string | string[] | undefined>;

const b64url = (buf: Buffer): string => buf.toString('base64url');

export class ConsoleSessions {
  private readonly key: Buffer;
  private readonly signedOut = new Map<string, number>();
  private readonly failures = new Map<string, number[]>();

  constructor(
    adminToken: string,
    private readonly nowMs: () => number,
    private readonly ttlMs: number = CONSOLE_SESSION_DEFAULTS.ttlMs,
  ) {
    this.key = createHmac('sha256', adminToken).update('keel-console-session-v1').digest();
  }

  /** A new session and the Set-Cookie header that carries it. */
  issue(secure: boolean): { session: ConsoleSession; setCookie: string } {
    const expiresAtMs = this.nowMs() + this.ttlMs;
    const nonce = b64url(randomBytes(18));
    const payload = `v1.${expiresAtMs.toString(36)}.${nonce}`;
    const value = `${payload}.${this.mac(payload)}`;
    const setCookie = cookie(value, Math.floor(this.ttlMs / 1000), secure);
    return { session: { nonce, expiresAtMs, csrf: this.mac(`csrf.${nonce}`) }, setCookie };
  }

  /** The session the request's cookie carries, when it is ours, unexpired and not signed out. */
  read(headers: Headers): ConsoleSession | undefined {
    const value = readCookie(headers['cookie'], SESSION_COOKIE);
    if (value === undefined) return undefined;
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
    const payload = parts.slice(0, 3).join('.');
    if (!safeEqual(parts[3]!, this.mac(payload))) return undefined;
    const expiresAtMs = parseInt(parts[1]!, 36);
    const nonce = parts[2]!;
    if (!Number.isFinite(expiresAtMs) || expiresAtMs <= this.nowMs() || this.signedOut.has(nonce)) return undefined;
    return { nonce, expiresAtMs, csrf: this.mac(`csrf.${nonce}`) };
  }

  /** Ends a session on this replica; returns the Set-Cookie header that clears it in the browser. */
  signOut(session: ConsoleSession, secure: boolean): string {
    const now = this.nowMs();
    for (const [nonce, until] of this.signedOut) if (until <= now) this.signedOut.delete(nonce);
    this.signedOut.set(session.nonce, session.expiresAtMs);
    return cookie('', 0, secure);
  }

  csrfMatches(session: ConsoleSession, presented: string | undefined): boolean {
    return presented !== undefined && safeEqual(presented, session.csrf);
  }

  /** Seconds to wait before `client` may try another token, or 0. */
  lockedForS(client: string): number {
    const recent = this.recentFailures(client);
    if (recent.length < CONSOLE_SESSION_DEFAULTS.failuresPerMinute) return 0;
    return Math.max(1, Math.ceil((recent[0]! + 60_000 - this.nowMs()) / 1000));
  }

  recordFailure(client: string): void {
    const recent = this.recentFailures(client);
    recent.push(this.nowMs());
    this.failures.set(client, recent);
    // Bounded: a flood from many addresses cannot grow this without limit.
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  private recentFailures(client: string): number[] {
    const since = this.nowMs() - 60_000;
    const recent = (this.failures.get(client) ?? []).filter((at) => at > since);
    if (recent.length === 0) this.failures.delete(client);
    return recent;
  }

  private mac(text: string): string {
    return b64url(createHmac('sha256', this.key).update(text).digest());
  }
}

function cookie(value: string, maxAgeS: number, secure: boolean): string {
  // Path=/console: the cookie is never sent with API calls; Strict: never with a cross-site request.
  return `${SESSION_COOKIE}=${value}; Path=/console; Max-Age=${maxAgeS}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (text === undefined) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether a state-changing request comes from a page of this origin: its `Origin` (or, from a browser
 * that sends none, `Sec-Fetch-Site`) must name the host the request was sent to. Requests that show
 * neither are refused too: a browser always shows one on a POST, and other clients have the admin API.
 * The scheme is not compared: behind a TLS-terminating proxy that sends no `X-Forwarded-Proto`, Keel
 * sees http while the browser says https, and a page on another scheme of the same host is not another
 * site to the strict cookie either.
 */
export function isSameOrigin(headers: Headers): boolean {
  const host = headers['host'];
  const origin = headers['origin'];
  if (typeof origin === 'string' && origin !== 'null') {
    try {
      const url = new URL(origin);
      return typeof host === 'string' && (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase();
    } catch {
      return false;
    }
  }
  return headers['sec-fetch-site'] === 'same-origin';
}
