/**
 * `keel drill <scenario | file.yaml>`: loads the scenario, runs it with live progress, prints the report
 * table and writes `report.json` and `report.html`. Exit code 0 when every check passed, 1 when one
 * failed (a lost request, or a figure outside the scenario's `expect`), 2 for an invalid scenario.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildReport } from './drill-report.js';
import { loadScenario, ScenarioError } from './load-scenario.js';
import { createProgress } from './progress.js';
import { renderReportHtml } from './report-html.js';
import { renderReportTable } from './report-table.js';
import type { DrillReport } from './report-types.js';
import { runDrill } from './run-drill.js';

export interface DrillCommandOptions {
  timeScale?: number;
  rate?: number;
  out?: string;
  quiet?: boolean;
}

export interface DrillIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
}

/** Writes `report.json` and `report.html` into `dir` (created if needed); returns their paths. */
export function writeReports(report: DrillReport, dir: string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'report.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(html, renderReportHtml(report));
  return { json, html };
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function drillCommand(scenarioArg: string, options: DrillCommandOptions, io: DrillIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let loaded;
  try {
    loaded = loadScenario(scenarioArg);
  } catch (err) {
    if (err instanceof ScenarioError) {
      io.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const timeScale = options.timeScale ?? loaded.scenario.time_scale;
  const progress = createProgress(options.quiet === true ? { write: () => undefined } : io.stderr, timeScale);
  if (options.quiet !== true) {
    const wallMs = loaded.scenario.duration / timeScale;
    io.stderr.write(`Drill ${loaded.scenario.name}: ${Math.round(wallMs / 1000)} s of load at ${options.rate ?? loaded.scenario.load.rate_per_s} req/s (time scale ${timeScale}×)\n`);
  }
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.once('SIGINT', onSignal);
  let report: DrillReport;
  try {
    const run = await runDrill(loaded, {
      timeScale,
      ...(options.rate === undefined ? {} : { ratePerS: options.rate }),
      onPhase: (phase) => progress.onPhase(phase),
      onProgress: (p) => progress.onProgress(p),
      signal: interrupt.signal,
    });
    report = buildReport(run);
  } finally {
    progress.finish();
    process.off('SIGINT', onSignal);
  }
  const dir = resolve(options.out ?? join('drill-results', `${loaded.scenario.name}-${timestamp(new Date())}`));
  const paths = writeReports(report, dir);
  if (options.quiet !== true) io.stdout.write(`\n${renderReportTable(report)}\n`);
  const failed = report.checks.filter((c) => !c.ok);
  io.stdout.write(`\nReport: ${paths.html}\n        ${paths.json}\n${failed.length === 0 ? 'All checks passed.' : `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(', ')}`}\n`);
  return failed.length === 0 ? 0 : 1;
}
