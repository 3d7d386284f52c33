/**
 * `npm run bench:compare`: is one Keel cheaper or dearer than another, per answer? The two take turns
 * under the same load and the per-round ratio of their CPU per answer is read (see interleave.ts). Uses:
 * - `--base DIR`: this `dist/` against another build (e.g. a `git worktree` of an older commit after
 *   `npm run build`), on one deployment and on two healthy deployments (where hedging is armed).
 * - `--variants telemetry,keys,redis`: this build with one production feature on (variants.ts) against
 *   the same build without it — what telemetry, 1,000 virtual keys or Redis-shared state cost (`redis`
 *   against the same keys in memory; `keys+redis` against the plain route).
 * - `--node-flags "F" [--base-node-flags "G"]`: this build run with node flags F against the same build
 *   with G (none by default) — what a V8 setting costs or saves, one deployment.
 * - `--server '{"heap_growth_percent":30}'`: this build with those `server` settings against itself
 *   with the defaults, one deployment.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { compare, DIST, render, routeConfig, variantComparison, type Comparison, type Row } from './interleave.js';
import { startSimulatorProcess } from './simulator-process.js';
import { parseVariantList, VARIANTS } from './variants.js';

const DEFAULTS = {
  rounds: 8, // the median of 8 per-round ratios moves by a few % between runs on a noisy machine
  burstS: 3, // long enough for thousands of answers, short enough that both sides see the same machine
  connections: 32, // the bench's "under load" cell; `--connections 1` for the latency cells' pattern (one answer at a time)
} as const;

const flagList = (raw: string | undefined): string[] => (raw ?? '').split(' ').filter((f) => f !== '');

function buildComparisons(baseDist: string | undefined, flags: { this: string[]; base: string[] } | undefined, server: Record<string, unknown> | undefined, simUrl: string): Comparison[] {
  if (server !== undefined) {
    const label = `server ${JSON.stringify(server)} vs defaults`;
    return [{ label, base: { dist: DIST, config: routeConfig(['sim'], simUrl) }, this: { dist: DIST, config: routeConfig(['sim'], simUrl), serverSettings: server } }];
  }
  if (flags !== undefined) {
    const label = `node ${flags.this.join(' ')} vs ${flags.base.length === 0 ? 'no flags' : flags.base.join(' ')}`;
    return [{ label, base: { dist: DIST, config: routeConfig(['sim'], simUrl), nodeFlags: flags.base }, this: { dist: DIST, config: routeConfig(['sim'], simUrl), nodeFlags: flags.this } }];
  }
  if (baseDist !== undefined) {
    return [
      { label: 'one deployment', base: { dist: baseDist, config: routeConfig(['sim'], simUrl) }, this: { dist: DIST, config: routeConfig(['sim'], simUrl) } },
      { label: 'two deployments (can hedge)', base: { dist: baseDist, config: routeConfig(['a', 'b'], simUrl) }, this: { dist: DIST, config: routeConfig(['a', 'b'], simUrl) } },
    ];
  }
  return [];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { base: { type: 'string' }, variants: { type: 'string' }, 'node-flags': { type: 'string' }, 'base-node-flags': { type: 'string' }, server: { type: 'string' }, rounds: { type: 'string' }, burst: { type: 'string' }, connections: { type: 'string' } },
    strict: true,
  });
  const baseDist = values.base;
  const variants = values.variants === undefined ? [] : parseVariantList(values.variants);
  const flags = values['node-flags'] === undefined ? undefined : { this: flagList(values['node-flags']), base: flagList(values['base-node-flags']) };
  const server = values.server === undefined ? undefined : (JSON.parse(values.server) as Record<string, unknown>);
  if (baseDist === undefined && variants.length === 0 && flags === undefined && server === undefined) {
    throw new Error(`expected --base DIR (another build's dist/), --variants ${VARIANTS.join(',')}, --node-flags "F" or --server JSON`);
  }
  if (baseDist !== undefined && !existsSync(join(baseDist, 'cli', 'keel.js'))) throw new Error('--base DIR: a built Keel (DIR/cli/keel.js), e.g. `git worktree add /tmp/base <commit> && (cd /tmp/base && npm ci && npm run build)` then --base /tmp/base/dist');
  const rounds = Math.max(2, Number(values.rounds ?? DEFAULTS.rounds));
  const burstS = Math.max(1, Number(values.burst ?? DEFAULTS.burstS));
  const connections = Number(values.connections ?? DEFAULTS.connections);
  if (!Number.isInteger(connections) || connections < 1) throw new Error(`--connections: expected a whole number of at least 1, got "${values.connections}"`);
  const sim = await startSimulatorProcess('simulator', { tokenDelayMs: 0 });
  const rows: Row[] = [];
  const notes: string[] = [];
  try {
    for (const c of buildComparisons(baseDist, flags, server, sim.url)) rows.push(...(await compare(c, rounds, burstS, connections)));
    for (const name of variants) {
      const c = await variantComparison(name, sim.url);
      try {
        rows.push(...(await compare(c, rounds, burstS, connections)));
        notes.push(...(c.notes?.() ?? []));
      } finally {
        await c.stop?.();
      }
    }
    const title = server !== undefined ? 'server settings, this build' : flags !== undefined ? 'node flags, this build' : baseDist !== undefined ? `this build vs ${baseDist}` : 'features on vs off, this build';
    console.log(render(title, rows, notes, rounds, burstS, connections));
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
