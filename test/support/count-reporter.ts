/**
 * Prints the closing line CI and people read, `N passed, M failed, K skipped`, after vitest's own report.
 * It must never say "0 failed" over a run vitest failed: a file that failed to load (a syntax error, a
 * throwing import, a missing service), a beforeAll/afterAll that threw, and an unhandled error each count
 * as a failure, even when every test that did run passed.
 */
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

export interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

export function countTests(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<unknown>,
  reason: TestRunEndReason,
  exitCode: number | string | null | undefined,
): TestCounts {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const mod of testModules) {
    let failedTests = 0;
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') passed += 1;
      else if (state === 'failed') failedTests += 1;
      // Also the tests a failed beforeAll kept from running: vitest reports them skipped, and so do we;
      // the hook itself is counted as failed below.
      else skipped += 1;
    }
    // Errors of the file or a suite itself, not of a test: a load failure, or a hook that threw.
    let ownFailures = mod.errors().length > 0 ? 1 : 0;
    for (const suite of mod.children.allSuites()) if (suite.errors().length > 0) ownFailures += 1;
    if (ownFailures === 0 && failedTests === 0 && mod.state() === 'failed') ownFailures = 1;
    failed += failedTests + ownFailures;
  }
  failed += unhandledErrors.length;
  // Whatever else made vitest fail the run (interrupted, nothing found, a failure this count cannot see)
  // still shows as one failure: a non-zero exit with "0 failed" is the one line this must never print.
  const exitedNonZero = exitCode !== undefined && exitCode !== null && Number(exitCode) !== 0;
  if (failed === 0 && (reason !== 'passed' || exitedNonZero)) failed = 1;
  return { passed, failed, skipped };
}

export function countLine({ passed, failed, skipped }: TestCounts): string {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

export default class CountReporter implements Reporter {
  readonly #write: (text: string) => void;

  constructor(options: { write?: (text: string) => void } = {}) {
    this.#write = options.write ?? ((text) => void process.stdout.write(text));
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>, reason: TestRunEndReason): void {
    // vitest has set process.exitCode by now when it judged the run failed (see the safety net above).
    this.#write(`\n${countLine(countTests(testModules, unhandledErrors, reason, process.exitCode))}\n`);
  }
}
