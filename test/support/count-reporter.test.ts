/**
 * The closing count line against real vitest runs: vitest is started programmatically on the deliberately
 * broken files in `__fixtures__/count-reporter/` (named `*.fixture.js`, so the main run's `*.test.ts` globs
 * never pick them up, and plain JS, so the type-check never reads the syntax error). Whenever vitest fails
 * the run — a file that cannot load, a hook that throws — the line must show at least one failure.
 */
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startVitest } from 'vitest/node';
import CountReporter from './count-reporter.js';

const FIXTURES = fileURLToPath(new URL('./__fixtures__/count-reporter/', import.meta.url));

/** Runs vitest on the given fixture files; returns the count line and whether vitest failed the run. */
async function runFixtures(...files: string[]): Promise<{ line: string; runFailed: boolean }> {
  const written: string[] = [];
  // vitest's own report and error output would read, in this run's log, like real failures: drop them.
  const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
  // startVitest sets process.exitCode as the CLI would; this worker's own exit code must not inherit it.
  const outerExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await startVitest(
      'test',
      [],
      { root: FIXTURES, config: false, include: files, watch: false, reporters: [new CountReporter({ write: (text) => written.push(text) })] },
      {},
      { stdout: quiet, stderr: quiet },
    );
    return { line: written.join('').trim(), runFailed: Number(process.exitCode ?? 0) !== 0 };
  } finally {
    process.exitCode = outerExitCode;
  }
}

describe('the count line', () => {
  it('reads all passed when every test passed', async () => {
    expect(await runFixtures('passing.fixture.js')).toEqual({ line: '1 passed, 0 failed, 0 skipped', runFailed: false });
  });

  it.each([
    ['a file with a syntax error', 'broken-syntax.fixture.js', '1 passed, 1 failed, 0 skipped'],
    ['a file whose import throws', 'throwing-import.fixture.js', '1 passed, 1 failed, 0 skipped'],
    // Its two tests never ran: skipped, as vitest reports them; the hook is the failure.
    ['a file whose beforeAll throws', 'before-all-throws.fixture.js', '1 passed, 1 failed, 2 skipped'],
    ['a file whose afterAll throws after its test passed', 'after-all-throws.fixture.js', '2 passed, 1 failed, 0 skipped'],
    ['a failing test in a suite, counted once', 'failing-test.fixture.js', '1 passed, 1 failed, 0 skipped'],
  ])('counts %s as failed', async (_what, file, line) => {
    // Next to a healthy file, as in a real run where most files pass.
    expect(await runFixtures(file, 'passing.fixture.js')).toEqual({ line, runFailed: true });
  });

  it('counts a run vitest failed for want of any test file as one failure', async () => {
    expect(await runFixtures('no-such.fixture.js')).toEqual({ line: '0 passed, 1 failed, 0 skipped', runFailed: true });
  });

  it('shows at least one failure in a run of every broken file together', async () => {
    const { line, runFailed } = await runFixtures('*.fixture.js');
    expect(runFailed).toBe(true);
    expect(line).toBe('2 passed, 5 failed, 2 skipped');
  });
});
