/**
 * `npm run bench:compare`: is one Keel cheaper or dearer than another, per answer? Two Keels run side by
 * side against one fast simulator and take turns: short bursts of the same load, alternating which goes
 * first each round, with each process's CPU read from /proc around its burst. A shared 2-core machine
 * drifts by ±30% over minutes (other work, frequency, the host), which swamps a 10% difference between
 * two separate runs; bursts seconds apart see the same drift, so the per-round ratio (this ÷ base) and
 * its median are what to read. Two uses:
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
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { BENCH_API_KEY } from './failover.js';
import { startKeelProcess, type KeelBenchConfig } from './keel-process.js';
import { runLoad } from './load.js';
import { cpuTimeUs } from './process-sampler.js';
import { MODES, UPSTREAM_MODEL, type Mode } from './requests.js';
import { startSimulatorProcess } from './simulator-process.js';
import { startVariant, VARIANT_BASE, VARIANTS, type VariantName } from './variants.js';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));

const DEFAULTS = {
  rounds: 8, // the median of 8 per-round ratios moves by a few % between runs on a noisy machine
  burstS: 3, // long enough for thousands of answers, short enough that both sides see the same machine
  connections: 32, // the bench's "under load" cell; `--connections 1` for the latency cells' pattern (one answer at a time)
} as const;

const PRICE = { input_per_mtok: 3, output_per_mtok: 15 }; // so spend (and budgets) are computed, as in production

function routeConfig(deploymentIds: string[], simUrl: string): KeelBenchConfig {
  const deployment = (id: string) => ({ id, provider: 'openai' as const, model: UPSTREAM_MODEL, base_url: `${simUrl}/v1`, api_key: BENCH_API_KEY, price: PRICE });
  return { deployments: deploymentIds.map(deployment), routes: { bench: { deployments: deploymentIds } } };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Side {
  dist: string;
  nodeFlags?: string[];
  serverSettings?: Record<string, unknown>;
  config: KeelBenchConfig;
  requestHeaders?: Array<Record<string, string>> | undefined;
}

/** One pair of Keels to compare, and what runs beside the "this" side. */
interface Comparison {
  label: string;
  base: Side;
  this: Side;
  attach?: (thisUrl: string) => void;
  notes?: () => string[];
  stop?: () => Promise<void>;
}

interface Row {
  label: string;
  mode: Mode;
  baseUs: number[];
  thisUs: number[];
}

async function compare(c: Comparison, rounds: number, burstS: number, connections: number): Promise<Row[]> {
  const base = await startKeelProcess('keel-base', c.base.config, { distDir: c.base.dist, nodeFlags: c.base.nodeFlags ?? [], serverSettings: c.base.serverSettings });
  const other = await startKeelProcess('keel-this', c.this.config, { distDir: c.this.dist, nodeFlags: c.this.nodeFlags ?? [], serverSettings: c.this.serverSettings }).catch(async (err: unknown) => {
    await base.stop();
    throw err;
  });
  const sides = { base: { ...c.base, process: base }, this: { ...c.this, process: other } };
  c.attach?.(other.url);
  const rows: Row[] = MODES.map((mode) => ({ label: c.label, mode, baseUs: [], thisUs: [] }));
  const burst = (side: (typeof sides)['base'], mode: Mode, durationS: number) =>
    runLoad({ origin: side.process.url, mode, connections, durationS, requestHeaders: side.requestHeaders });
  try {
    // Untimed warm-up of both: JIT tiers, pools and keep-alive sockets.
    for (const mode of MODES) for (const side of Object.values(sides)) await burst(side, mode, 2);
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        const order = round % 2 === 0 ? (['base', 'this'] as const) : (['this', 'base'] as const);
        for (const name of order) {
          const side = sides[name];
          const before = cpuTimeUs(side.process.child.pid);
          const load = await burst(side, row.mode, burstS);
          if (load.errors > 0) throw new Error(`${name} (${c.label}, ${row.mode}): ${load.errors} errors ${JSON.stringify(load.errorKinds)} ${load.errorSample ?? ''}`);
          (name === 'base' ? row.baseUs : row.thisUs).push((cpuTimeUs(side.process.child.pid) - before) / Math.max(1, load.ok));
        }
      }
      console.error(`bench:compare: ${c.label} round ${round + 1}/${rounds}`);
    }
  } finally {
    await Promise.all([base.stop(), other.stop()]);
  }
  return rows;
}

function render(title: string, rows: Row[], notes: string[], rounds: number, burstS: number, connections: number): string {
  const lines = [
    `# Keel CPU per answer: ${title}`,
    '',
    `${rounds} rounds of ${burstS} s bursts at ${connections} connection${connections === 1 ? '' : 's'}, alternating; CPU of each Keel process from /proc ÷ complete answers.`,
    '',
    '| comparison | mode | base µs (median) | this µs (median) | this ÷ base, per round (median) | per-round ratios |',
    '| --- | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows) {
    const ratios = r.thisUs.map((v, i) => v / r.baseUs[i]!);
    lines.push(`| ${r.label} | ${r.mode} | ${Math.round(median(r.baseUs))} | ${Math.round(median(r.thisUs))} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(' ')} |`);
  }
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

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

async function variantComparison(name: VariantName, simUrl: string): Promise<Comparison> {
  const plain = routeConfig(['sim'], simUrl);
  const variant = await startVariant(name, plain);
  const baseName = VARIANT_BASE[name];
  const under = baseName === undefined ? undefined : await startVariant(baseName, plain);
  return {
    label: `${name} on vs ${baseName ?? 'off'}`,
    base: under === undefined ? { dist: DIST, config: plain } : { dist: DIST, config: under.config, requestHeaders: under.requestHeaders },
    this: { dist: DIST, config: variant.config, requestHeaders: variant.requestHeaders },
    attach: (url) => variant.attach(url),
    notes: () => variant.notes(),
    stop: async () => {
      await variant.stop();
      await under?.stop();
    },
  };
}

function parseVariants(raw: string | undefined): VariantName[] {
  if (raw === undefined) return [];
  const names = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) if (!(VARIANTS as readonly string[]).includes(n)) throw new Error(`--variants: unknown variant "${n}" (expected ${VARIANTS.join(', ')})`);
  return names as VariantName[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { base: { type: 'string' }, variants: { type: 'string' }, 'node-flags': { type: 'string' }, 'base-node-flags': { type: 'string' }, server: { type: 'string' }, rounds: { type: 'string' }, burst: { type: 'string' }, connections: { type: 'string' } },
    strict: true,
  });
  const baseDist = values.base;
  const variants = parseVariants(values.variants);
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
