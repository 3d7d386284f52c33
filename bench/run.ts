/**
 * `npm run bench`: builds Keel (the npm script does), then measures side by side on this machine — the
 * simulator directly, a bare Node proxy, Keel with one deployment, Keel failing over from a dead primary —
 * for JSON and streamed answers, then many open streams through Keel, then Keel and the bare proxy in turns (floor-turns.ts), then what telemetry, 1,000 keys and
 * Redis-shared state each cost (feature-costs.ts); checks the performance targets and
 * writes the Markdown and JSON results to bench/results/. All traffic stays on 127.0.0.1, every child
 * process is stopped at the end or killed if the bench fails (see child-process.ts).
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseCpuProfile, type ProfileSummary } from './cpu-profile.js';
import { BENCH_SERVER_SETTINGS } from './keel-process.js';
import { runFeatureCosts } from './feature-costs.js';
import { runFloorTurns, type FloorTurnsResult } from './floor-turns.js';
import { machineFacts } from './machine.js';
import { runManyStreams } from './many-streams.js';
import { parseOptions, type BenchOptions } from './options.js';
import { renderMarkdown, writeResults } from './report.js';
import type { BenchResult, FeatureCostResult, ManyStreamsResult, ScenarioResult } from './results.js';
import { runScenario, SCENARIO_LABELS } from './scenario.js';
import { startSimulatorProcess } from './simulator-process.js';
import { checkTargets, compareWithDirect } from './targets.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const RESULTS_DIR = join(ROOT, 'bench', 'results');

const TOPOLOGY =
  'one machine, loopback only. The bench process runs autocannon and the TTFB client; the simulator (tokenDelayMs 0, its fastest mode) ' +
  'runs in its own process; the bare proxy and Keel (`node dist/cli/keel.js serve`) each run in their own process, whose CPU and memory ' +
  'are read from /proc. Through a proxy, three busy processes share the cores.';

/** Runs the side-by-side scenarios against one fast simulator; a failed scenario is recorded, not fatal. */
async function runScenarios(options: BenchOptions, profileDir: string | undefined): Promise<ScenarioResult[]> {
  const scenarios: ScenarioResult[] = [];
  if (options.scenarios.length === 0) return scenarios;
  const sim = await startSimulatorProcess('simulator', { tokenDelayMs: 0 });
  try {
    for (const name of options.scenarios) {
      console.error(`bench: ${SCENARIO_LABELS[name]}`);
      await sim.resetStats();
      try {
        scenarios.push(await runScenario(name, sim, options, profileDir));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        console.error(`bench: ${name} failed: ${message}`);
        scenarios.push({ name, label: SCENARIO_LABELS[name], cells: [], notes: [], error: message });
      }
    }
  } finally {
    await sim.stop();
  }
  return scenarios;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist', 'cli', 'keel.js'))) throw new Error('dist/cli/keel.js is missing: run `npm run build` first (`npm run bench` does)');
  const startedAt = new Date();
  const machine = machineFacts();
  const profileDir = options.profile ? join(RESULTS_DIR, 'profiles', startedAt.toISOString().replace(/[:.]/g, '-')) : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  console.error(`bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`);

  const scenarios = await runScenarios(options, profileDir);

  let manyStreams: ManyStreamsResult | undefined;
  let manyStreamsError: string | undefined;
  if (options.streams > 0) {
    console.error(`bench: ${options.streams} open streams, through the bare proxy and through Keel`);
    try {
      manyStreams = await runManyStreams(options, profileDir);
    } catch (err) {
      manyStreamsError = err instanceof Error ? err.message : String(err);
      console.error(`bench: the many-streams run failed: ${manyStreamsError}`);
    }
  }

  let floorTurns: FloorTurnsResult | undefined;
  let floorTurnsError: string | undefined;
  if (options.scenarios.includes('bare') && options.scenarios.includes('keel')) {
    console.error('bench: Keel and the bare proxy in turns');
    try {
      floorTurns = await runFloorTurns(options.variantRounds, options.variantBurstS, Math.max(...options.connections));
    } catch (err) {
      floorTurnsError = err instanceof Error ? err.message : String(err);
      console.error(`bench: the in-turns run failed: ${floorTurnsError}`);
    }
  }

  let featureCosts: FeatureCostResult | undefined;
  if (options.variants.length > 0) {
    const connections = Math.max(...options.connections);
    featureCosts = await runFeatureCosts({ variants: options.variants, rounds: options.variantRounds, burstS: options.variantBurstS, connections });
  }

  compareWithDirect(scenarios);
  const profiles: ProfileSummary[] = profileDir === undefined
    ? []
    : readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => summariseCpuProfile(join(profileDir, f), ROOT));
  const finishedAt = new Date();
  const result: BenchResult = {
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    elapsedS: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    machine,
    settings: { ...options, keelServer: { ...BENCH_SERVER_SETTINGS }, topology: TOPOLOGY },
    scenarios,
    ...(manyStreams === undefined ? {} : { manyStreams }),
    ...(manyStreamsError === undefined ? {} : { manyStreamsError }),
    ...(featureCosts === undefined ? {} : { featureCosts }),
    ...(floorTurns === undefined ? {} : { floorTurns }),
    ...(floorTurnsError === undefined ? {} : { floorTurnsError }),
    targets: checkTargets(scenarios, options.connections, manyStreams, featureCosts, floorTurns),
    profiles,
  };
  const markdown = renderMarkdown(result);
  const files = writeResults(RESULTS_DIR, result, markdown);
  console.log(markdown);
  console.error(`bench: wrote ${files.map((f) => f.slice(ROOT.length + 1)).join(', ')}`);
}

try {
  await main();
} catch (err) {
  console.error('bench failed:', err);
  process.exitCode = 1;
}
// Explicitly: a socket some library left open must not keep a finished bench (or a failed one) alive.
process.exit();
