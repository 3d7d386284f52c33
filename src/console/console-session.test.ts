import { describe, expect, it } from 'vitest';
import { ConsoleSessions, isSameOrigin, SESSION_COOKIE } from './console-session.js';

const TOKEN = 'console-session-token-0123456789';
const cookieOf = (setCookie: string): string => setCookie.split(';')[0]!;

describe('ConsoleSessions', () => {
  it('issues an HttpOnly, SameSite=Strict cookie scoped to /console that reads back, without the token in it', () => {
    const sessions = new ConsoleSessions(TOKEN, () => 1_000);
    const { session, setCookie } = sessions.issue(false);
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=v1\\.`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/console');
    expect(setCookie).not.toContain('Secure');
    expect(sessions.issue(true).setCookie).toContain('; Secure');
    expect(setCookie).not.toContain(TOKEN);
    expect(sessions.read({ cookie: `other=1; ${cookieOf(setCookie)}` })).toEqual(session);
    // Another replica with the same admin token accepts it; one with another token does not.
    expect(new ConsoleSessions(TOKEN, () => 1_000).read({ cookie: cookieOf(setCookie) })?.nonce).toBe(session.nonce);
    expect(new ConsoleSessions(`${TOKEN}x`, () => 1_000).read({ cookie: cookieOf(setCookie) })).toBeUndefined();
  });

  it('refuses a tampered, expired or signed-out session', () => {
    let now = 1_000;
    const sessions = new ConsoleSessions(TOKEN, () => now, 60_000);
    const { session, setCookie } = sessions.issue(false);
    const value = cookieOf(setCookie).slice(SESSION_COOKIE.length + 1);
    const [v, expiry, nonce, mac] = value.split('.');
    const later = (now + 10 * 86_400_000).toString(36);
    expect(sessions.read({ cookie: `${SESSION_COOKIE}=${v}.${later}.${nonce}.${mac}` })).toBeUndefined();
    expect(sessions.read({ cookie: `${SESSION_COOKIE}=${v}.${expiry}.${nonce}.${mac!.slice(0, -2)}AA` })).toBeUndefined();
    expect(sessions.read({ cookie: `${SESSION_COOKIE}=garbage` })).toBeUndefined();
    expect(sessions.read({})).toBeUndefined();
    now += 59_000;
    expect(sessions.read({ cookie: cookieOf(setCookie) })).toBeDefined();
    now += 1_000;
    expect(sessions.read({ cookie: cookieOf(setCookie) })).toBeUndefined();

    now = 1_000;
    const cleared = sessions.signOut(session, false);
    expect(cleared).toContain('Max-Age=0');
    expect(sessions.read({ cookie: cookieOf(setCookie) })).toBeUndefined();
  });

  it('matches only the session own CSRF token', () => {
    const sessions = new ConsoleSessions(TOKEN, () => 1_000);
    const a = sessions.issue(false).session;
    const b = sessions.issue(false).session;
    expect(sessions.csrfMatches(a, a.csrf)).toBe(true);
    expect(sessions.csrfMatches(a, b.csrf)).toBe(false);
    expect(sessions.csrfMatches(a, undefined)).toBe(false);
    expect(sessions.csrfMatches(a, '')).toBe(false);
  });

  it('brakes a client after ten wrong tokens in a minute, and only that client', () => {
    let now = 0;
    const sessions = new ConsoleSessions(TOKEN, () => now);
    for (let i = 0; i < 9; i++) sessions.recordFailure('10.0.0.1');
    expect(sessions.lockedForS('10.0.0.1')).toBe(0);
    sessions.recordFailure('10.0.0.1');
    expect(sessions.lockedForS('10.0.0.1')).toBe(60);
    expect(sessions.lockedForS('10.0.0.2')).toBe(0);
    now = 30_000;
    expect(sessions.lockedForS('10.0.0.1')).toBe(30);
    now = 60_001;
    expect(sessions.lockedForS('10.0.0.1')).toBe(0);
  });
});

describe('isSameOrigin', () => {
  it('accepts only an Origin naming the host the request was sent to, or Sec-Fetch-Site same-origin', () => {
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' })).toBe(true);
    expect(isSameOrigin({ host: 'keel.example', origin: 'https://keel.example' })).toBe(true);
    expect(isSameOrigin({ host: 'Keel.Example', origin: 'https://keel.example' })).toBe(true);
    expect(isSameOrigin({ host: 'keel.example', origin: 'https://keel.example.evil.com' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'http://localhost:8080' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8081' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'null' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', origin: 'not a url' })).toBe(false);
    expect(isSameOrigin({ origin: 'http://127.0.0.1:8080' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).toBe(true);
    expect(isSameOrigin({ host: '127.0.0.1:8080', 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(isSameOrigin({ host: '127.0.0.1:8080' })).toBe(false);
  });
});
