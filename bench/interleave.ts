/**
 * Servers measured in turns (`inTurns`): bench:compare's two Keels, the feature-cost cells of `npm run
 * bench`, and Keel against the bare proxy (floor-turns.ts). All run against one simulator and take short
 * bursts of the same load, alternating which goes first
 * each round, with each process's CPU read from /proc around its burst. A shared 2-core machine drifts by
 * ±30% over minutes, which swamps a 10% difference between two separate runs; bursts seconds apart see
 * the same drift, so the per-round ratio (this ÷ base) and its median are what to read.
 */
import { fileURLToPath } from 'node:url';
import { BENCH_PRICE } from './bench-keys.js';
import { BENCH_API_KEY } from './failover.js';
import { startKeelProcess, type KeelBenchConfig } from './keel-process.js';
import type { LatencySummary } from './latency.js';
import { runLoad } from './load.js';
import { cpuTimeUs, mainThreadCpuTimeUs } from './process-sampler.js';
import { MODES, UPSTREAM_MODEL, type Mode } from './requests.js';
import { median } from './stats.js';
import { startVariant, VARIANT_BASE, type VariantName } from './variants.js';

export const DIST = fileURLToPath(new URL('../dist', import.meta.url));

export function routeConfig(deploymentIds: string[], simUrl: string): KeelBenchConfig {
  const deployment = (id: string) => ({ id, provider: 'openai' as const, model: UPSTREAM_MODEL, base_url: `${simUrl}/v1`, api_key: BENCH_API_KEY, price: BENCH_PRICE });
  return { deployments: deploymentIds.map(deployment), routes: { bench: { deployments: deploymentIds } } };
}

export interface Side {
  dist: string;
  nodeFlags?: string[];
  serverSettings?: Record<string, unknown>;
  config: KeelBenchConfig;
  requestHeaders?: Array<Record<string, string>> | undefined;
}

/** One pair of Keels to compare, and what runs beside the "this" side. */
export interface Comparison {
  label: string;
  base: Side;
  this: Side;
  attach?: (thisUrl: string) => void;
  notes?: () => string[];
  stop?: () => Promise<void>;
}

export interface Row {
  label: string;
  mode: Mode;
  baseUs: number[];
  thisUs: number[];
  /** Of `baseUs` and `thisUs`, the main thread's; the rest is V8's garbage collection and compiler threads. */
  baseMainUs: number[];
  thisMainUs: number[];
}

/** The median over rounds of `whole − part`: what the rest of a process used, when `part` is its main thread's. */
export const medianOfRest = (whole: readonly number[], part: readonly number[]): number => median(whole.map((v, i) => v - part[i]!));

/** Each round's `a ÷ b`, in round order. */
export const ratiosOf = (a: readonly number[], b: readonly number[]): number[] => a.map((v, i) => v / b[i]!);

/** Each round's this ÷ base, in round order. */
export const roundRatios = (row: Row): number[] => ratiosOf(row.thisUs, row.baseUs);

export async function compare(c: Comparison, rounds: number, burstS: number, connections: number): Promise<Row[]> {
  const base = await startKeelProcess('keel-base', c.base.config, { distDir: c.base.dist, nodeFlags: c.base.nodeFlags ?? [], serverSettings: c.base.serverSettings });
  const other = await startKeelProcess('keel-this', c.this.config, { distDir: c.this.dist, nodeFlags: c.this.nodeFlags ?? [], serverSettings: c.this.serverSettings }).catch(async (err: unknown) => {
    await base.stop();
    throw err;
  });
  const sides = { base: { ...c.base, process: base }, this: { ...c.this, process: other } };
  c.attach?.(other.url);
  const rows: Row[] = MODES.map((mode) => ({ label: c.label, mode, baseUs: [], thisUs: [], baseMainUs: [], thisMainUs: [] }));
  const target = (side: (typeof sides)['base']): BurstTarget => ({ name: `${side.process.name} (${c.label})`, url: side.process.url, pid: side.process.child.pid, requestHeaders: side.requestHeaders });
  try {
    await inTurns([target(sides.base), target(sides.this)], { rounds, burstS, connections, label: c.label }, (mode, [b, t]) => {
      const row = rows.find((r) => r.mode === mode)!;
      row.baseUs.push(b!.cpuUsPerAnswer);
      row.thisUs.push(t!.cpuUsPerAnswer);
      row.baseMainUs.push(b!.mainUsPerAnswer);
      row.thisMainUs.push(t!.mainUsPerAnswer);
    });
  } finally {
    await Promise.all([base.stop(), other.stop()]);
  }
  return rows;
}

/** A server taking bursts: where to send them, whose CPU to read, and the headers of each request in turn. */
export interface BurstTarget {
  name: string;
  url: string;
  pid: number;
  requestHeaders?: Array<Record<string, string>> | undefined;
}

export interface Burst {
  rps: number;
  cpuUsPerAnswer: number;
  /** Of `cpuUsPerAnswer`, what the main thread used (the rest: V8's garbage collection and compiler threads). */
  mainUsPerAnswer: number;
  /** Whole-response latency of the burst's answers. */
  latency: LatencySummary;
}

export interface TurnSettings {
  rounds: number;
  burstS: number;
  connections: number;
  /** What the progress lines name. */
  label: string;
}

/**
 * Untimed warm-up bursts of every target (JIT tiers, pools, keep-alive sockets), then `rounds` rounds in
 * which each mode's bursts go to every target in turn, the order reversed each round so that neither side
 * always follows the other. `each` gets every round's bursts of one mode, in the targets' order. A burst
 * with an error fails the comparison: a cheap error is not a cheap answer.
 */
export async function inTurns(targets: readonly BurstTarget[], settings: TurnSettings, each: (mode: Mode, bursts: Burst[]) => void): Promise<void> {
  const { rounds, burstS, connections } = settings;
  const burst = async (t: BurstTarget, mode: Mode, durationS: number): Promise<Burst> => {
    const before = cpuTimeUs(t.pid);
    const mainBefore = mainThreadCpuTimeUs(t.pid);
    const load = await runLoad({ origin: t.url, mode, connections, durationS, requestHeaders: t.requestHeaders });
    if (load.errors > 0) throw new Error(`${t.name} (${mode}): ${load.errors} errors ${JSON.stringify(load.errorKinds)} ${load.errorSample ?? ''}`);
    const answers = Math.max(1, load.ok);
    return { rps: load.rps, cpuUsPerAnswer: (cpuTimeUs(t.pid) - before) / answers, mainUsPerAnswer: (mainThreadCpuTimeUs(t.pid) - mainBefore) / answers, latency: load.latency };
  };
  for (const mode of MODES) for (const t of targets) await burst(t, mode, 2);
  for (let round = 0; round < rounds; round++) {
    for (const mode of MODES) {
      const order = targets.map((_, i) => (round % 2 === 0 ? i : targets.length - 1 - i));
      const bursts: Burst[] = [];
      for (const i of order) bursts[i] = await burst(targets[i]!, mode, burstS);
      each(mode, bursts);
    }
    console.error(`bench: ${settings.label}, round ${round + 1}/${rounds}`);
  }
}

export function render(title: string, rows: Row[], notes: string[], rounds: number, burstS: number, connections: number): string {
  const lines = [
    `# Keel CPU per answer: ${title}`,
    '',
    `${rounds} rounds of ${burstS} s bursts at ${connections} connection${connections === 1 ? '' : 's'}, alternating; CPU of each Keel process from /proc ÷ complete answers; the main thread's (JavaScript, the event loop) is read apart from the other threads' (V8's garbage collection and compiler, libuv's pool).`,
    '',
    '| comparison | mode | base µs (median) | this µs (median) | this ÷ base, per round (median) | per-round ratios | main thread only: base / this µs (median) | other threads: base / this µs (median) |',
    '| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const r of rows) {
    const ratios = roundRatios(r);
    const threads = `${Math.round(median(r.baseMainUs))} / ${Math.round(median(r.thisMainUs))} | ${Math.round(medianOfRest(r.baseUs, r.baseMainUs))} / ${Math.round(medianOfRest(r.thisUs, r.thisMainUs))}`;
    lines.push(`| ${r.label} | ${r.mode} | ${Math.round(median(r.baseUs))} | ${Math.round(median(r.thisUs))} | ${median(ratios).toFixed(2)} | ${ratios.map((x) => x.toFixed(2)).join(' ')} | ${threads} |`);
  }
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

/** A production feature on (variants.ts) against the route without it, or against the variant it adds to. */
export async function variantComparison(name: VariantName, simUrl: string): Promise<Comparison> {
  const plain = routeConfig(['sim'], simUrl);
  const variant = await startVariant(name, plain);
  const baseName = VARIANT_BASE[name];
  const under = baseName === undefined ? undefined : await startVariant(baseName, plain);
  return {
    label: `${name} on vs ${baseName ?? 'off'}`,
    // The base gets the variant's request headers too: a client sends its key whether or not Keel checks
    // it (every SDK sends an Authorization header), so the cost read is Keel's, not the header's bytes.
    base: under === undefined ? { dist: DIST, config: plain, requestHeaders: variant.requestHeaders } : { dist: DIST, config: under.config, requestHeaders: under.requestHeaders },
    this: { dist: DIST, config: variant.config, requestHeaders: variant.requestHeaders },
    attach: (url) => variant.attach(url),
    notes: () => variant.notes(),
    stop: async () => {
      await variant.stop();
      await under?.stop();
    },
  };
}
