/**
 * End to end in headless Chromium: the operator console of a running Keel with two simulated providers.
 * An operator signs in, watches the traffic numbers move while requests run (and the primary's breaker
 * open when it starts failing), forces a breaker open and
 * sees the next requests fail over (counted by the simulator), creates a key and uses it with the
 * `openai` SDK, revokes it and sees 401, posts an incident update that appears on the public status page,
 * checks a broken config inline and finds every action in the audit log under the actor `console`. The
 * page runs under its CSP with nothing fetched from elsewhere; a cross-site page cannot act for a signed-in
 * operator. Screenshots of every view are saved in test-output/console-*.png.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningKeel } from '../../src/server/start-keel.js';
import { startSimulatedKeel } from '../support/simulated-keel.js';
import { launchChromium } from '../support/test-services.js';

const TOKEN = 'console-admin-token-0123456789abcdef';
const OUT = join('test-output');
let keel: RunningKeel;
let browser: Browser;
let context: BrowserContext;
let tab: Page;
const problems: string[] = [];
const foreign: string[] = [];

beforeAll(async () => {
  keel = await startSimulatedKeel({
    settings: { server: { admin_token: TOKEN }, store: { flush_interval_ms: 100 } },
    deployments: [
      { id: 'primary', provider: 'openai', model: 'sim-primary' },
      { id: 'fallback', provider: 'anthropic', model: 'sim-fallback' },
    ],
    routes: { smart: { deployments: ['primary', 'fallback'] } },
  });
  mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  tab = await context.newPage();
  tab.on('dialog', (dialog) => void dialog.accept());
  tab.on('request', (r) => {
    if (!r.url().startsWith(keel.url)) foreign.push(r.url());
  });
  tab.on('console', (m) => {
    // Answers the test asks for (a wrong token's 401, an invalid config's 422) are logged as failed loads.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of (401|422)/.test(m.text())) problems.push(m.text());
  });
  tab.on('pageerror', (e) => problems.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await keel?.stop();
});

const ask = (client: OpenAI, content: string) => client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content }] });
const simStats = async (): Promise<Record<string, number>> => ((await (await fetch(`${keel.simulator!.url}/_sim/stats`)).json()) as { byModel: Record<string, number> }).byModel;
const shot = (name: string) => tab.screenshot({ path: join(OUT, `console-${name}.png`), fullPage: true });
const number = async (selector: string): Promise<number> => Number((await tab.locator(selector).innerText()).replace(/[^\d]/g, ''));

describe('operator console in a browser', () => {
  it('sends a visitor without a session to the sign-in, and refuses a wrong token', async () => {
    await tab.goto(`${keel.url}/console/keys`);
    expect(new URL(tab.url()).pathname).toBe('/console/login');
    await tab.fill('input[name=token]', `${TOKEN}-wrong`);
    await tab.click('button[type=submit]');
    await expect.poll(() => tab.locator('#login-error').isVisible()).toBe(true);
    expect(await tab.locator('#login-error').innerText()).toContain('not the admin token');
  });

  it('signs in, and the traffic numbers move while requests run, without a reload', async () => {
    await tab.fill('input[name=token]', TOKEN);
    await tab.click('button[type=submit]');
    await tab.waitForURL(`${keel.url}/console/traffic`);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'keel_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect((await tab.content()).includes(TOKEN)).toBe(false);

    let navigations = 0;
    tab.on('framenavigated', () => navigations++);
    const client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'no-keys-yet', maxRetries: 0 });
    const before = await number('#stat-requests b');
    let running = true;
    const traffic = (async () => {
      while (running) await ask(client, 'live traffic');
    })();
    try {
      await expect.poll(() => number('#stat-requests b'), { timeout: 15_000 }).toBeGreaterThan(before + 5);
      const first = await number('#stat-requests b');
      await expect.poll(() => number('#stat-requests b'), { timeout: 15_000 }).toBeGreaterThan(first);
      expect(await tab.locator('tr[data-deployment="primary"] .pill').innerText()).toBe('closed');
      await shot('traffic');

      // The primary starts failing: its breaker opens and the route's answers come from the fallback.
      keel.simulator!.setFault('sim-primary', { type: 'error', status: 503, kind: 'overloaded' });
      await expect.poll(() => tab.locator('tr[data-deployment="primary"] .pill').innerText(), { timeout: 15_000 }).toBe('open');
      await expect.poll(() => tab.locator('tr[data-route="smart"] .by').innerText(), { timeout: 15_000 }).toContain('fallback');
      expect(await number('#stat-failovers b')).toBeGreaterThan(0);
      await shot('traffic-outage');
    } finally {
      keel.simulator!.clearFaults();
      running = false;
      await traffic;
    }
    expect(navigations).toBe(0);
    expect(await tab.locator('tr[data-route="smart"] .req').innerText()).not.toBe('0');
  });

  it('forces a breaker open, and the next requests fail over to the other provider', async () => {
    await tab.click('nav a[href="/console/breakers"]');
    await tab.waitForURL(`${keel.url}/console/breakers`);
    await tab.click('tr[data-breaker="primary"] button.danger');
    await expect.poll(() => tab.locator('tr[data-breaker="primary"] .state').innerText()).toBe('forced open');
    expect(await tab.locator('#result').innerText()).toContain('forced open');
    await shot('breakers');

    const start = await simStats();
    const client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'no-keys-yet', maxRetries: 0 });
    for (let i = 0; i < 5; i++) {
      const { response } = await ask(client, 'after the override').withResponse();
      expect(response.headers.get('x-keel-deployment')).toBe('fallback');
    }
    const end = await simStats();
    expect((end['sim-primary'] ?? 0) - (start['sim-primary'] ?? 0)).toBe(0);
    expect((end['sim-fallback'] ?? 0) - (start['sim-fallback'] ?? 0)).toBe(5);
    await tab.click('nav a[href="/console/traffic"]');
    await expect.poll(() => tab.locator('tr[data-deployment="primary"] .pill').innerText()).toBe('forced open');
    await expect.poll(() => number('#stat-open b')).toBe(1);
    await shot('traffic-failover');
    await tab.click('nav a[href="/console/breakers"]');

    await tab.click('tr[data-breaker="primary"] button:not(.danger)');
    await expect.poll(() => tab.locator('tr[data-breaker="primary"] .state').innerText()).toBe('closed');
  });

  it('creates a key whose secret is shown once, uses it with the openai SDK, revokes it and sees 401', async () => {
    await tab.click('nav a[href="/console/keys"]');
    await tab.waitForURL(`${keel.url}/console/keys`);
    await tab.fill('#key-form input[name=name]', 'console-made');
    await tab.fill('#key-form input[name=rpm]', '600');
    await tab.fill('#key-form input[name=daily_budget_usd]', '5');
    await tab.click('#key-form button[type=submit]');
    await expect.poll(() => tab.locator('#new-secret').isVisible()).toBe(true);
    const secret = await tab.locator('#new-secret').innerText();
    expect(secret.length).toBeGreaterThan(20);
    await expect.poll(() => tab.locator('tr[data-key="console-made"] .pill').innerText()).toBe('active');
    await shot('keys');

    const keyed = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: secret, maxRetries: 0 });
    const answer = await ask(keyed, 'with my new key');
    expect(answer.choices[0]!.message.content).toBeTruthy();
    // Once a key exists, a request without one is refused.
    await expect(ask(new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'not-a-key', maxRetries: 0 }), 'no key')).rejects.toMatchObject({ status: 401 });
    // A reload does not show the secret again.
    await tab.reload();
    expect(await tab.content()).not.toContain(secret);

    await tab.click('tr[data-key="console-made"] button.danger');
    await expect.poll(() => tab.locator('tr[data-key="console-made"] .pill').innerText()).toBe('revoked');
    await expect(ask(keyed, 'after revoking')).rejects.toMatchObject({ status: 401 });
  });

  it('posts an incident update that appears on the public status page', async () => {
    const incident = await keel.services.monitor.detector.openIncident('deployment:primary', 'Elevated errors on primary', 'major_outage', 'We are investigating elevated errors.', 'keel');
    await tab.click('nav a[href="/console/incidents"]');
    await tab.waitForURL(`${keel.url}/console/incidents`);
    const card = tab.locator(`[data-incident="${incident.id}"]`);
    await expect.poll(() => card.isVisible()).toBe(true);
    await card.locator('select[name=status]').selectOption('identified');
    await card.locator('input[name=message]').fill('Primary is failing; traffic is on the fallback provider.');
    await card.locator('button[type=submit]').click();
    await expect.poll(() => card.locator('.timeline li').count()).toBe(2);
    expect(await card.locator('.timeline li').first().innerText()).toContain('by console');

    await tab.selectOption('#maintenance-form select[name=component]', 'deployment:fallback');
    // Tomorrow, in the browser's local time (what a datetime-local field holds).
    const [starts, ends] = await tab.evaluate(() => {
      const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      const start = new Date(Date.now() + 86_400_000);
      start.setMinutes(0, 0, 0);
      return [local(start), local(new Date(start.getTime() + 3_600_000))];
    });
    await tab.fill('#maintenance-form input[name=starts_at]', starts);
    await tab.fill('#maintenance-form input[name=ends_at]', ends);
    await tab.fill('#maintenance-form input[name=description]', 'Fallback provider migration');
    await tab.click('#maintenance-form button[type=submit]');
    await expect.poll(() => tab.locator('#maintenance').innerText()).toContain('Fallback provider migration');
    const [window] = await keel.store.listMaintenance({ from: Date.now(), to: Date.now() + 3 * 86_400_000 });
    expect(window).toMatchObject({ component: 'deployment:fallback', createdBy: 'console' });
    expect(window!.endsAt - window!.startsAt).toBe(3_600_000);
    await shot('incidents');

    const status = await context.newPage();
    await expect
      .poll(
        async () => {
          await status.goto(`${keel.url}/status`);
          const article = status.locator(`article[id="${incident.id}"]`);
          return (await article.count()) === 0 ? '' : article.innerText();
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toContain('Primary is failing; traffic is on the fallback provider.');
    await status.close();

    // Resolve, from the button inside the update form.
    await card.locator('button:has-text("Resolve")').click();
    await expect.poll(async () => (await keel.store.getIncident(incident.id))?.status).toBe('resolved');
    await expect.poll(() => tab.locator(`[data-incident="${incident.id}"] .pill`).first().innerText()).toBe('resolved');
  });

  it('shows a broken config inline, the SLO view, and every action in the audit log by console', async () => {
    await tab.click('nav a[href="/console/config"]');
    await tab.waitForURL(`${keel.url}/console/config`);
    await tab.fill('#config-form textarea', 'deployments:\n  - id: x\n    provider: nobody\n');
    await tab.click('#config-form button[type=submit]');
    await expect.poll(() => tab.locator('#issues li').count()).toBeGreaterThan(0);
    expect(await tab.locator('#issues').innerText()).toContain('provider');
    await shot('config');

    await tab.click('nav a[href="/console/slo"]');
    await tab.waitForURL(`${keel.url}/console/slo`);
    expect(await tab.locator('main').innerText()).toContain('No SLOs are configured');
    await shot('slo');

    await tab.click('nav a[href="/console/audit"]');
    await tab.waitForURL(`${keel.url}/console/audit`);
    const audit = await tab.locator('#audit').innerText();
    for (const action of ['console.sign_in', 'breaker.force_open', 'breaker.force_close', 'key.create', 'key.revoke', 'incident.update', 'incident.resolve', 'maintenance.create']) expect(audit).toContain(action);
    const stored = await keel.store.listAudit({ limit: 100 });
    expect(stored.filter((e) => e.action !== 'console.sign_in_refused').every((e) => e.actor === 'console')).toBe(true);
    await shot('audit');
  });

  it('loaded nothing from elsewhere and broke no CSP rule', () => {
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('refuses a forged cross-site request from a page on another origin while the operator is signed in', async () => {
    // The attacker's page is on localhost, another site than 127.0.0.1.
    const target = keel.url;
    const evil: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="post" action="${target}/console/api/breakers/primary/open"></form>
<script>fetch('${target}/console/api/breakers/fallback/open', { method: 'POST', credentials: 'include', mode: 'no-cors' }).finally(() => document.getElementById('f').submit());</script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, 'localhost', resolve));
    try {
      const attack = await context.newPage();
      const refused = attack.waitForResponse((r) => r.url().endsWith('/console/api/breakers/primary/open'));
      await attack.goto(`http://localhost:${(evil.address() as AddressInfo).port}/`);
      expect([401, 403]).toContain((await refused).status());
      await attack.close();
    } finally {
      await new Promise((resolve) => evil.close(resolve));
    }
    expect(keel.gateway.router.breakerState('primary').state.state).toBe('closed');
    expect(keel.gateway.router.breakerState('fallback').state.state).toBe('closed');
  });

  it('signs out: the cookie is gone and the console answers 401 again', async () => {
    await tab.click('header.top button[type=submit]');
    await tab.waitForURL(`${keel.url}/console/login`);
    expect((await context.cookies()).find((c) => c.name === 'keel_console')).toBeUndefined();
    const status = await tab.evaluate(async () => (await fetch('/console/api/keys')).status);
    expect(status).toBe(401);
  });
});
