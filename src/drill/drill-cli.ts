/**
 * The `drill` subcommand's definition for `keel` (src/cli/keel.ts adds it): arguments, flags and their
 * validation; the work is `drillCommand`.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { DrillCommandOptions } from './drill-command.js';
import { builtInScenarioNames } from './built-in-scenarios.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function drillCliCommand(): Command {
  return new Command('drill')
    .description('replay an outage scenario against Keel and the simulator under load, and report what clients saw')
    .argument('<scenario>', `a built-in scenario (${builtInScenarioNames().join(', ')}) or a scenario YAML file`)
    .option('--time-scale <n>', "scenario time per wall-clock time, e.g. 60 replays an hour in a minute (default: the scenario's)", positiveNumber)
    .option('--rate <n>', "client requests per wall-clock second (default: the scenario's)", positiveNumber)
    .option('--out <dir>', 'where to write report.json and report.html (default: drill-results/<scenario>-<timestamp>/)')
    .option('--quiet', 'no progress and no table: only where the report went and whether its checks passed')
    .action(async (scenario: string, opts: DrillCommandOptions) => {
      // The drill's machinery (load generator, reports, the simulator) loads only when a drill runs.
      const { drillCommand } = await import('./drill-command.js');
      process.exit(await drillCommand(scenario, opts));
    });
}
