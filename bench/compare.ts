/**
 * `npm run bench:compare -- --base DIR`: is this build cheaper or dearer than another, per answer? Two
 * Keels (this `dist/` and the other build, e.g. a `git worktree` of an older commit built with
 * `npm run build`) run side by side against one fast simulator and take turns: short bursts of the same
 * load, alternating which goes first each round, with each process's CPU read from /proc around its
 * burst. A shared 2-core machine drifts by ±30% over minutes (other work, frequency, the host), which
 * swamps a 10% difference between two separate runs; bursts seconds apart see the same drift, so the
 * per-round ratio (this ÷ base) and its median are what to read. Routes: one deployment, and two healthy
 * deployments (where hedging and failover bookkeeping is set up on every request).
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BENCH_API_KEY } from './failover.js';
import { startKeelProcess, type KeelBenchConfig } from './keel-process.js';
import { runLoad } from './load.js';
import { cpuTimeUs } from './process-sampler.js';
import { MODES, UPSTREAM_MODEL, type Mode } from './requests.js';
import { startSimulatorProcess } from './simulator-process.js';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));

const DEFAULTS = {
  rounds: 8, // the median of 8 per-round ratios moves by a few % between runs on a noisy machine
  burstS: 3, // long enough for thousands of answers, short enough that both sides see the same machine
  connections: 32, // the bench's "under load" cell
} as const;

type RouteShape = 'single' | 'pair';

function routeConfig(shape: RouteShape, simUrl: string): KeelBenchConfig {
  const deployment = (id: string) => ({ id, provider: 'openai' as const, model: UPSTREAM_MODEL, base_url: `${simUrl}/v1`, api_key: BENCH_API_KEY });
  const ids = shape === 'single' ? ['sim'] : ['a', 'b'];
  return { deployments: ids.map(deployment), routes: { bench: { deployments: ids } } };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Row {
  route: RouteShape;
  mode: Mode;
  baseUs: number[];
  thisUs: number[];
}

async function compareRoute(shape: RouteShape, simUrl: string, baseDist: string, rounds: number, burstS: number): Promise<Row[]> {
  const config = routeConfig(shape, simUrl);
  const sides = { base: await startKeelProcess('keel-base', config, { distDir: baseDist }), this: await startKeelProcess('keel-this', config, { distDir: DIST }) };
  const rows: Row[] = MODES.map((mode) => ({ route: shape, mode, baseUs: [], thisUs: [] }));
  try {
    // Untimed warm-up of both: JIT tiers, pools and keep-alive sockets.
    for (const mode of MODES) for (const side of Object.values(sides)) await runLoad({ origin: side.url, mode, connections: DEFAULTS.connections, durationS: 2 });
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        const order = round % 2 === 0 ? (['base', 'this'] as const) : (['this', 'base'] as const);
        for (const name of order) {
          const side = sides[name];
          const before = cpuTimeUs(side.child.pid);
          const load = await runLoad({ origin: side.url, mode: row.mode, connections: DEFAULTS.connections, durationS: burstS });
          if (load.errors > 0) throw new Error(`${name} (${shape}, ${row.mode}): ${load.errors} errors ${JSON.stringify(load.errorKinds)}`);
          (name === 'base' ? row.baseUs : row.thisUs).push((cpuTimeUs(side.child.pid) - before) / Math.max(1, load.ok));
        }
      }
      console.error(`bench:compare: ${shape} round ${round + 1}/${rounds}`);
    }
  } finally {
    await Promise.all(Object.values(sides).map((s) => s.stop()));
  }
  return rows;
}

function render(rows: Row[], baseDist: string, rounds: number, burstS: number): string {
  const lines = [
    `# Keel CPU per answer: this build vs ${baseDist}`,
    '',
    `${rounds} rounds of ${burstS} s bursts at ${DEFAULTS.connections} connections, alternating; CPU of each Keel process from /proc ÷ complete answers.`,
    '',
    '| route | mode | base µs (median) | this µs (median) | this ÷ base, per round (median) | per-round ratios |',
    '| --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const ratios = r.thisUs.map((v, i) => v / r.baseUs[i]!);
    lines.push(`| ${r.route === 'single' ? 'one deployment' : 'two deployments (can hedge)'} | ${r.mode} | ${Math.round(median(r.baseUs))} | ${Math.round(median(r.thisUs))} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(' ')} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { base: { type: 'string' }, rounds: { type: 'string' }, burst: { type: 'string' } }, strict: true });
  const baseDist = values.base;
  if (baseDist === undefined || !existsSync(join(baseDist, 'cli', 'keel.js'))) throw new Error('--base DIR: a built Keel (DIR/cli/keel.js), e.g. `git worktree add /tmp/base <commit> && (cd /tmp/base && npm ci && npm run build)` then --base /tmp/base/dist');
  const rounds = Math.max(2, Number(values.rounds ?? DEFAULTS.rounds));
  const burstS = Math.max(1, Number(values.burst ?? DEFAULTS.burstS));
  const sim = await startSimulatorProcess('simulator', { tokenDelayMs: 0 });
  try {
    const rows = [...(await compareRoute('single', sim.url, baseDist, rounds, burstS)), ...(await compareRoute('pair', sim.url, baseDist, rounds, burstS))];
    console.log(render(rows, baseDist, rounds, burstS));
  } finally {
    await sim.stop();
  }
}

try {
  await main();
} catch (err) {
  console.error('bench:compare failed:', err);
  process.exitCode = 1;
}
process.exit();
