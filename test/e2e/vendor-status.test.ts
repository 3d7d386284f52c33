/**
 * End to end: a real Keel reading a fake Statuspage on loopback (the default vendor URLs are overridden or
 * turned off: no traffic leaves 127.0.0.1). A vendor page that hangs costs requests nothing and is
 * logged once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeStatuspage, type FakeStatuspage } from '../../src/health/vendor/__fixtures__/fake-statuspage.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';

let page: FakeStatuspage;
let keel: RunningKeel;
let lines: string[];

async function start(extra: Record<string, unknown> = {}): Promise<RunningKeel> {
  return startKeel({
    port: 0,
    logger: silentLogger(lines),
    config: {
      simulator: { token_delay_ms: 0 },
      deployments: [
        { id: 'primary', provider: 'anthropic', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai', model: 'sim-fallback', simulated: true },
      ],
      routes: { smart: { deployments: ['primary', 'fallback'] } },
      status_sources: { enabled: true, timeout_ms: 1_000, sources: { anthropic: { url: page.url }, openai: { enabled: false } }, ...extra },
    },
  });
}

const ask = (): Promise<Response> =>
  fetch(`${keel.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
  });

beforeEach(async () => {
  page = await startFakeStatuspage();
  lines = [];
});
afterEach(async () => {
  await keel.stop();
  await page.close();
});

describe('vendor status pages', () => {
  it('answers every request while the vendor page hangs, and logs the problem once', async () => {
    page.mode = 'hang';
    keel = await start();
    const answers = await Promise.all([ask(), ask(), ask(), ask()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.headers.get('x-keel-deployment'))).toEqual(['primary', 'primary', 'primary', 'primary']);
    await keel.services.vendorStatus!.pollDue(); // the first poll, timing out after 1 s
    await keel.services.vendorStatus!.pollDue(); // backing off: nothing fetched, nothing logged
    const problems = lines.filter((l) => l.includes('unreadable'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('vendor status page \\"anthropic\\" unreadable: did not answer within 1000 ms');
    expect(page.requests.map((r) => r.path)).toEqual(['/api/v2/summary.json']);
    expect((await ask()).status).toBe(200);
  });
});
