/**
 * End to end: `keel serve` as a real process, the way `npm start` runs it — the simulated demo when there
 * is no config and no key, a config file otherwise, a readable error for a broken config, and a graceful
 * drain on SIGTERM that lets an in-flight stream finish.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = resolve('src/cli/keel.ts');
// Resolved from the repo, so the child can run TypeScript from any working directory.
const TSX = import.meta.resolve('tsx');
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

function serve(args: string[], cwd: string): { child: ChildProcessWithoutNullStreams; url: Promise<string>; output: () => string; exit: Promise<number | null> } {
  const env = { ...process.env };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'KEEL_CONFIG']) delete env[key];
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'serve', ...args], { cwd, env });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const url = new Promise<string>((resolveUrl, reject) => {
    const onData = (): void => {
      const match = /Keel listening on (http:\/\/[\d.:]+)/.exec(out);
      if (match) resolveUrl(match[1]!);
    };
    child.stdout.on('data', onData);
    child.once('exit', () => reject(new Error(`keel exited early:\n${out}`)));
  });
  url.catch(() => undefined); // a test that expects an early exit does not wait for the URL
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, url, output: () => out, exit };
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'keel-serve-'));

describe('keel serve', () => {
  it('runs the simulated demo when there is no config and no key, and shows failover', async () => {
    const keel = serve(['--port', '0'], tmp());
    const url = await keel.url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const deployments = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Hello, Keel' }] }),
      });
      expect(res.status).toBe(200);
      deployments.add(res.headers.get('x-keel-deployment')!);
      await res.arrayBuffer();
    }
    // The demo's primary fails half its requests: both deployments answer within a dozen requests.
    expect([...deployments].sort()).toEqual(['sim-fallback', 'sim-primary']);
    expect(keel.output()).toContain('serving simulated providers');
  });

  it('drains an in-flight stream on SIGTERM, then exits 0', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'keel.yaml'),
      ['simulator: { token_delay_ms: 40 }', 'deployments:', '  - { id: sim, provider: openai, model: sim-a, simulated: true }', ''].join('\n'),
    );
    const keel = serve(['--port', '0'], dir);
    const url = await keel.url;
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim-a', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten' }] }),
    });
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    keel.child.kill('SIGTERM');
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('ten');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(await keel.exit).toBe(0);
    expect(keel.output()).toContain('draining in-flight requests');
    // A config file with its own simulator section is not the keyless demo, and the log says so.
    expect(keel.output()).toContain('serving the simulated providers of the config');
    expect(keel.output()).not.toContain('no config file');
  });

  it('keeps every committed rollup across a SIGKILL mid-traffic and a restart', async () => {
    const dir = tmp();
    const config = [
      'store: { path: keel.db, flush_interval_ms: 200 }',
      'simulator: { token_delay_ms: 0 }',
      'deployments:',
      '  - { id: sim, provider: openai, model: sim-a, simulated: true }',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'keel.yaml'), config);
    const first = serve(['--port', '0'], dir);
    const url = await first.url;
    const send = () =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sim-a', messages: [{ role: 'user', content: 'hi' }] }),
      }).then((r) => r.arrayBuffer());
    for (let i = 0; i < 20; i++) await send();
    await new Promise((r) => setTimeout(r, 800)); // several flushes: these 20 are committed
    const traffic = Array.from({ length: 20 }, () => send().catch(() => undefined)); // in flight at the kill
    first.child.kill('SIGKILL');
    await first.exit;
    await Promise.all(traffic);

    const { SqliteStore } = await import('../../src/store/index.js');
    const store = new SqliteStore({ path: join(dir, 'keel.db') });
    const rows = await store.readRollups({ fromMinute: 0, toMinute: Date.now() + 60_000, scope: 'deployment', id: 'sim' });
    const committed = rows.reduce((n, r) => n + (r.outcomes['ok'] ?? 0), 0);
    expect(committed).toBeGreaterThanOrEqual(20);
    await store.close();

    // The restarted gateway opens the same file and keeps adding to it.
    const second = serve(['--port', '0'], dir);
    await second.url;
    second.child.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });

  it('refuses to start on a config with a typo, naming file, line and key', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'keel.yaml'), 'deployments:\n  - { id: a, provider: openai, model: m, api_kye: x }\n');
    const keel = serve([], dir);
    expect(await keel.exit).toBe(2);
    expect(keel.output()).toMatch(/keel\.yaml:2:\d+ deployments\[0\]\.api_kye: unknown key "api_kye" \(did you mean "api_key"\?\)/);
  });
});
