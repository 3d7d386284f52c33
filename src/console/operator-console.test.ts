/**
 * The console's access rules over real HTTP against a running Keel: nothing without a session, nothing
 * that changes state without the same origin and the CSRF token, a brake on guessing, the CSP, and every
 * change made through the admin API under the actor `console`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../server/start-keel.js';
import { silentLogger } from '../../test/support/silent-logger.js';
import { startSimulatedKeel } from '../../test/support/simulated-keel.js';
import { CONSOLE_VIEWS } from './console-html.js';

const TOKEN = 'operator-console-token-0123456789';
let keel: RunningKeel;
let cookie: string;
let csrf: string;

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function signIn(token: string, headers: Record<string, string> = { origin: keel.url }): Promise<Response> {
  return fetch(`${keel.url}/console/login`, { method: 'POST', redirect: 'manual', headers: { ...FORM, ...headers }, body: form({ token }) });
}

beforeAll(async () => {
  keel = await startSimulatedKeel({
    settings: { server: { admin_token: TOKEN } },
    deployments: [
      { id: 'a', provider: 'openai', model: 'sim-a' },
      { id: 'b', provider: 'anthropic', model: 'sim-b' },
    ],
    routes: { smart: { deployments: ['a', 'b'] } },
  });
  const res = await signIn(TOKEN);
  expect(res.status).toBe(303);
  cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${keel.url}/console/breakers`, { headers: { cookie } })).text();
  csrf = /name="csrf" content="([^"]+)"/.exec(page)![1]!;
});

afterAll(async () => {
  await keel.stop();
});

describe('operator console access', () => {
  it('redirects pages to the sign-in and answers 401 to everything else without a session', async () => {
    const pages = ['/console', '/console/', ...Object.keys(CONSOLE_VIEWS).map((v) => `/console/${v}`)];
    for (const path of pages) {
      const res = await fetch(`${keel.url}${path}`, { redirect: 'manual' });
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, '/console/login']);
    }
    const others: [string, string][] = [
      ...Object.keys(CONSOLE_VIEWS).map((v): [string, string] => ['GET', `/console/fragments/${v}`]),
      ['GET', '/console/assets/console.js'],
      ['GET', '/console/api/keys'],
      ['GET', '/console/api/audit'],
      ['POST', '/console/api/keys'],
      ['POST', '/console/api/breakers/a/open'],
      ['POST', '/console/api/incidents/x/resolve'],
      ['POST', '/console/api/config/reload'],
      ['DELETE', '/console/api/keys/x'],
      ['POST', '/console/logout'],
      ['GET', '/console/nowhere/at/all'],
    ];
    for (const [method, path] of others) {
      const res = await fetch(`${keel.url}${path}`, { method, redirect: 'manual', headers: { origin: keel.url, 'x-keel-csrf': csrf, cookie: 'keel_console=v1.zzzz.forged.mac' } });
      expect([method, path, res.status]).toEqual([method, path, 401]);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('Sign in');
    }
    expect(keel.gateway.router.breakerState('a').state.state).toBe('closed');
  });

  it('serves the sign-in page with a strict CSP and without the token', async () => {
    const res = await fetch(`${keel.url}/console/login`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await (await fetch(`${keel.url}/console/traffic`, { headers: { cookie } })).text();
    expect(page).not.toContain(TOKEN);
  });

  it('refuses a sign-in from another origin, and a wrong token, and brakes after ten wrong ones', async () => {
    expect((await signIn(TOKEN, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await signIn(TOKEN, {})).status).toBe(403);
    for (let i = 0; i < 10; i++) expect((await signIn('wrong-token-0123456789')).status).toBe(401);
    const braked = await signIn(TOKEN);
    expect(braked.status).toBe(429);
    expect(Number(braked.headers.get('retry-after'))).toBeGreaterThan(0);
    const audit = await keel.store.listAudit({ limit: 100 });
    expect(audit.filter((e) => e.action === 'console.sign_in_refused')).toHaveLength(10);
  });

  it('refuses a state change from another origin, or without the right CSRF token, and changes nothing', async () => {
    const post = (headers: Record<string, string>) => fetch(`${keel.url}/console/api/breakers/a/open`, { method: 'POST', headers: { cookie, ...headers } });
    expect((await post({ origin: 'http://evil.example', 'x-keel-csrf': csrf })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site', 'x-keel-csrf': csrf })).status).toBe(403);
    expect((await post({ 'x-keel-csrf': csrf })).status).toBe(403);
    expect((await post({ origin: keel.url })).status).toBe(403);
    expect((await post({ origin: keel.url, 'x-keel-csrf': `${csrf}x` })).status).toBe(403);
    const logout = await fetch(`${keel.url}/console/logout`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, origin: keel.url }, body: form({ csrf: 'wrong' }) });
    expect(logout.status).toBe(403);
    expect(keel.gateway.router.breakerState('a').state.state).toBe('closed');
    expect((await keel.store.listAudit({ limit: 100 })).filter((e) => e.action.startsWith('breaker.'))).toEqual([]);
  });

  it('changes state only through the admin API, audited as console, with its errors passed on', async () => {
    const headers = { cookie, origin: keel.url, 'x-keel-csrf': csrf, 'content-type': 'application/json' };
    const open = await fetch(`${keel.url}/console/api/breakers/a/open`, { method: 'POST', headers });
    expect(open.status).toBe(200);
    expect(keel.gateway.router.breakerState('a').state.state).toBe('forced_open');
    const close = await fetch(`${keel.url}/console/api/breakers/a/close`, { method: 'POST', headers });
    expect(close.status).toBe(200);
    const audit = await keel.store.listAudit({ limit: 100 });
    expect(audit.filter((e) => e.action.startsWith('breaker.')).map((e) => [e.actor, e.action])).toEqual([
      ['console', 'breaker.force_close'],
      ['console', 'breaker.force_open'],
    ]);
    // The admin API's validation and errors reach the page as they are.
    const bad = await fetch(`${keel.url}/console/api/keys`, { method: 'POST', headers, body: JSON.stringify({ name: 'bad name!' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { param: string } }).error.param).toBe('name');
    expect((await fetch(`${keel.url}/console/api/breakers/nope/open`, { method: 'POST', headers })).status).toBe(404);
    expect((await fetch(`${keel.url}/console/traffic`, { method: 'POST', headers })).status).toBe(405);
  });

  it('signs out with the CSRF token: the old cookie no longer works', async () => {
    const fresh = await fetch(`${keel.url}/console/logout`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie, origin: keel.url }, body: form({ csrf }) });
    expect(fresh.status).toBe(303);
    expect(fresh.headers.get('location')).toBe('/console/login');
    expect(fresh.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${keel.url}/console/api/keys`, { headers: { cookie } })).status).toBe(401);
  });

  it('does not exist without an admin token', async () => {
    const plain = await startKeel({ port: 0, logger: silentLogger(), env: {}, config: { deployments: [{ id: 'x', provider: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1', model: 'm' }] } });
    try {
      expect((await fetch(`${plain.url}/console/login`)).status).toBe(404);
      expect((await fetch(`${plain.url}/console`)).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
