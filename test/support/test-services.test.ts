/**
 * What a test that cannot reach PostgreSQL, Redis or Chromium says: it fails (never skips) naming what is
 * missing, where it was looked for, and the README's test line that provides it — without leaking the
 * password of a connection URL (nothing listens on port 1, so each check fails at once); and that the line
 * it names is the README's test line, a script of package.json, and exactly what CI runs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MissingTestDependencyError, README_TEST_LINE, requireChromium, requireService } from './test-services.js';

describe('requireService', () => {
  it('fails naming PostgreSQL, its address without the password, and the README line', async () => {
    const failure = requireService('postgres', 'postgres://keel:hunter2@127.0.0.1:1/test');
    await expect(failure).rejects.toThrow(MissingTestDependencyError);
    await expect(failure).rejects.toThrow(/^PostgreSQL is not reachable at postgres:\/\/127\.0\.0\.1:1\/test \(.*ECONNREFUSED.*\)/);
    await expect(failure).rejects.toThrow(`\`${README_TEST_LINE}\``);
    await expect(failure).rejects.not.toThrow(/hunter2/);
  });

  it('fails naming Redis, its address and the README line', async () => {
    const failure = requireService('redis', 'redis://127.0.0.1:1');
    await expect(failure).rejects.toThrow(/^Redis is not reachable at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)/);
    await expect(failure).rejects.toThrow(`\`${README_TEST_LINE}\``);
  });
});

describe('requireChromium', () => {
  it('fails naming the missing path and the README line that installs Debian chromium', () => {
    expect(() => requireChromium('/nonexistent/chromium')).toThrow(/^Chromium is not installed at \/nonexistent\/chromium/);
    expect(() => requireChromium('/nonexistent/chromium')).toThrow(`\`${README_TEST_LINE}\`: it installs Debian's chromium (apt-get install -y chromium)`);
  });

  it('returns the executable when there is one', () => {
    // Any executable stands in for Chromium here: the check is that the file can be run, not what it is.
    expect(requireChromium(process.execPath)).toBe(process.execPath);
  });
});

describe('the README test line', () => {
  const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

  it('is the test command of the README quick start, a package.json script, and what .ci/run runs', () => {
    const quickStart = /## Two commands\s+```sh\n([\s\S]*?)```/.exec(read('README.md'))?.[1] ?? '';
    const commands = quickStart.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '');
    expect(commands).toEqual(['npm ci && npm start', README_TEST_LINE]);
    const script = README_TEST_LINE.replace(/^npm run /, '');
    expect((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts[script]).toBe('bash scripts/test-from-nothing.sh');
    const ciCommands = read('.ci/run').split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(ciCommands.at(-1)).toBe(README_TEST_LINE);
  });
});
