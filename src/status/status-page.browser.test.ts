/**
 * The status page in a real browser (headless Chromium through playwright-core), served on a loopback
 * port during a simulated outage: the incident and the red component are visible, the inline module runs
 * under the page's Content-Security-Policy, nothing is fetched from anywhere else, and the Atom feed
 * parses as XML. Leaves a screenshot in test-output/status-outage.png. Without Chromium the file fails,
 * naming how to install it.
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../test/support/test-services.js';
import { StatusPage } from './status-page.js';
import { outageScenario } from './__fixtures__/outage-scenario.js';

// These run inside the browser; this project type-checks without the DOM library, so name what is used.
interface XmlNode {
  localName: string;
  namespaceURI: string | null;
  textContent: string | null;
  getElementsByTagName(name: string): ArrayLike<XmlNode> & Iterable<XmlNode>;
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<XmlNode> & Iterable<XmlNode>;
}
declare const getComputedStyle: (element: unknown) => { backgroundColor: string };
declare const DOMParser: new () => { parseFromString(text: string, type: string): XmlNode & { documentElement: XmlNode } };

let server: Server;
let browser: Browser;
let base: string;
let page: StatusPage;

beforeAll(async () => {
  const scenario = await outageScenario();
  page = new StatusPage({ store: scenario.store, topology: scenario.topology, clock: scenario.clock, health: scenario.health, page: { name: 'Keel status' } });
  server = createServer((req, res) => {
    void Promise.resolve(page.handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://x').pathname)).then((response) => {
      if (response === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(response.status, response.headers).end(response.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('status page in a browser', () => {
  it('shows the incident and the red major-outage component, self-contained, and saves a screenshot', async () => {
    const tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    tab.on('request', (r) => requests.push(r.url()));
    tab.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    tab.on('pageerror', (e) => problems.push(e.message));
    const response = await tab.goto(`${base}/status`);
    expect(response?.status()).toBe(200);

    const incident = tab.locator('article#inc-1');
    await expect.poll(() => incident.isVisible()).toBe(true);
    expect(await incident.locator('h3').innerText()).toContain('Outage on gpt-direct (openai)');
    expect(await incident.locator('.timeline li').count()).toBe(2);

    const pill = tab.locator('[id="deployment:gpt-direct"] .pill');
    expect(await pill.isVisible()).toBe(true);
    expect(await pill.innerText()).toBe('Major outage');
    expect(await pill.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(217, 48, 48)');
    const keelPill = tab.locator('[id="keel"] .pill');
    expect(await keelPill.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(47, 158, 91)');

    // The inline module ran under the CSP: times are localised (with the ISO time as their title)...
    expect(await tab.locator('time[title]').count()).toBeGreaterThan(0);
    // ...and a bar's tooltip shows the day's figures on hover.
    await tab.locator('[id="deployment:gpt-direct"] .bars rect').last().hover();
    expect(await tab.locator('#tip').isVisible()).toBe(true);
    expect(await tab.locator('#tip').innerText()).toMatch(/uptime[\s\S]*min major outage[\s\S]*Incident: Outage on gpt-direct/);

    expect(problems).toEqual([]);
    expect(requests).toEqual([`${base}/status`]);

    const dir = join(process.cwd(), 'test-output');
    mkdirSync(dir, { recursive: true });
    await tab.screenshot({ path: join(dir, 'status-outage.png'), fullPage: true });
    await tab.close();
  });

  it('serves an Atom feed that parses as XML with an entry per incident', async () => {
    const feed = await page.feed();
    const tab = await browser.newPage();
    const parsed = await tab.evaluate((xml) => {
      const doc = new DOMParser().parseFromString(xml, 'application/xml');
      const atom = 'http://www.w3.org/2005/Atom';
      return {
        error: doc.getElementsByTagName('parsererror')[0]?.textContent ?? null,
        root: doc.documentElement.localName,
        ns: doc.documentElement.namespaceURI,
        entries: [...doc.getElementsByTagNameNS(atom, 'entry')].map((e) => ({
          id: e.getElementsByTagNameNS(atom, 'id')[0]?.textContent,
          title: e.getElementsByTagNameNS(atom, 'title')[0]?.textContent,
          updated: e.getElementsByTagNameNS(atom, 'updated')[0]?.textContent,
          content: e.getElementsByTagNameNS(atom, 'content')[0]?.textContent,
        })),
      };
    }, feed.body);
    await tab.close();
    expect(parsed.error).toBeNull();
    expect(parsed).toMatchObject({ root: 'feed', ns: 'http://www.w3.org/2005/Atom' });
    expect(parsed.entries.map((e) => e.id)).toEqual(['urn:keel:incident:inc-1', 'urn:keel:incident:inc-past']);
    expect(parsed.entries[0]!.title).toBe('[identified] Outage on gpt-direct (openai)');
    expect(Number.isNaN(Date.parse(parsed.entries[0]!.updated!))).toBe(false);
    expect(parsed.entries[0]!.content).toMatch(/^<p>Affected: gpt-direct/);
  });
});
