/**
 * The benchmark's settings: every default in one block with its unit and why, and the command line
 * (`npm run bench -- --quick`, `--duration 5`, `--streams 2000`, `--profile`) that overrides them. The
 * settings are written into every result file, so a number is never read without how it was made.
 */
import { parseArgs } from 'node:util';
import { parseVariantList, VARIANTS, type VariantName } from './variants.js';

export type ScenarioName = 'direct' | 'bare' | 'keel' | 'keel-failover' | 'keel-translate';
export const SCENARIOS: readonly ScenarioName[] = ['direct', 'bare', 'keel', 'keel-failover', 'keel-translate'];

export interface BenchOptions {
  quick: boolean;
  /** Seconds of load per measured cell (one scenario × mode × connection count). */
  durationS: number;
  /** Seconds of untimed load before a scenario's cells: JIT, pools and keep-alive sockets warm up. */
  warmupS: number;
  /** Autocannon connection counts; the first is the "one connection" latency cell, the last "under load". */
  connections: number[];
  /** Sequential streamed requests per target for time to first byte. */
  ttfbCount: number;
  /** Concurrent open streams through Keel in the many-streams run; 0 skips the run. */
  streams: number;
  /** Seconds the many-streams run holds all its streams open while Keel's memory is sampled. */
  streamsHoldS: number;
  /** Delay between streamed tokens in the many-streams run, so streams stay open. */
  slowTokenDelayMs: number;
  scenarios: ScenarioName[];
  /** Run Keel and the bare proxy under `node --cpu-prof` and summarise their top self-time functions. */
  profile: boolean;
  /** Another build of Keel to measure (a directory holding cli/keel.js), e.g. a patched copy of dist/. */
  keelDist: string | undefined;
  /** Extra node flags for the Keel processes only (e.g. "--max-semi-space-size=8"). */
  keelNodeFlags: string[];
  /** Features whose cost is measured (feature-costs.ts): each on against off, in turns. */
  variants: VariantName[];
  /** Rounds of the in-turns pairs, feature costs and Keel against the floor (the median of per-round ratios is the figure). */
  variantRounds: number;
  /** Seconds of each side's burst in an in-turns round. */
  variantBurstS: number;
}

/** The features `npm run bench` prices by default (keys+redis and telemetry-sampled stay bench:compare's). */
export const DEFAULT_VARIANTS: readonly VariantName[] = ['telemetry', 'keys', 'redis'];

const FULL = {
  durationS: 10, // long enough for a stable rate on 2 cores; 16 cells keep the run under ~6 minutes
  warmupS: 2, // V8 tiers up the hot path within a second or two of steady load
  connections: [1, 32], // 1: latency without queueing; 32: a busy gateway, past the point of saturation on 2 cores
  ttfbCount: 500, // p99 of 500 samples is the 5th worst: stable enough, a few seconds per target
  streams: 5_000,
  streamsHoldS: 10,
  // 1 token/s per stream. At 200 ms (5 tokens/s) 5,000 streams are 25,000 SSE events a second through
  // three processes on two cores: the simulator alone saturates a core and streams open for minutes.
  slowTokenDelayMs: 1_000,
  // 16 rounds of 3 s bursts per side and mode. On this VM one round's ratio ranges over ±15–25 % (0.76 to
  // 1.37 in one run), so a median of 6 still moved by 5–8 % between runs, more than a 5 % budget, and a
  // median of 10 by 3–6 % (telemetry's streamed cost read 1.08, 1.14 and 1.12 in three runs of the same
  // request path). 16 narrow it by another fifth for about 5 more minutes (the three features then take
  // about 13, the floor's turns 4).
  variantRounds: 16,
  variantBurstS: 3,
} as const;

const QUICK = {
  durationS: 2,
  warmupS: 0.5,
  ttfbCount: 100,
  streams: 1_000, // a smoke run checks the machinery; the 5,000-stream target needs the full run
  streamsHoldS: 3,
  variantRounds: 2,
  variantBurstS: 1,
} as const;

const USAGE = `npm run bench [-- options]
  --quick              ~1 minute smoke run (${QUICK.durationS} s cells, fewer samples, ${QUICK.streams} streams)
  --duration S         seconds per measured cell (default ${FULL.durationS})
  --warmup S           seconds of warm-up load per scenario and mode (default ${FULL.warmupS})
  --connections A,B    autocannon connection counts (default ${FULL.connections.join(',')})
  --ttfb-count N       streamed requests per target for time to first byte (default ${FULL.ttfbCount})
  --streams N          concurrent open streams through Keel, 0 to skip (default ${FULL.streams})
  --hold S             seconds to hold the streams open (default ${FULL.streamsHoldS})
  --token-delay-ms MS  delay between tokens of the held streams (default ${FULL.slowTokenDelayMs})
  --scenarios LIST     subset of ${SCENARIOS.join(',')}, or none (only the many-streams run)
  --profile            run Keel and the bare proxy under --cpu-prof and print their hottest functions
  --keel-dist DIR      measure another build of Keel (DIR/cli/keel.js) instead of ./dist
  --keel-node-flags F  extra node flags for the Keel processes only, e.g. "--max-semi-space-size=8"
  --variants LIST      features priced on vs off: subset of ${VARIANTS.join(',')}, or none (default ${DEFAULT_VARIANTS.join(',')})
  --variant-rounds N   rounds of each in-turns pair: every feature's, and Keel against the bare proxy (default ${FULL.variantRounds})`;

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected a non-negative number, got "${value}"`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'ttfb-count': { type: 'string' },
      streams: { type: 'string' },
      hold: { type: 'string' },
      'token-delay-ms': { type: 'string' },
      scenarios: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'keel-dist': { type: 'string' },
      'keel-node-flags': { type: 'string' },
      variants: { type: 'string' },
      'variant-rounds': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const base = quick ? { ...FULL, ...QUICK } : FULL;
  const connections = values.connections === undefined
    ? [...base.connections]
    : values.connections.split(',').map((c) => Math.round(positiveNumber('connections', c, 1)));
  if (connections.length === 0 || connections.some((c) => c < 1)) throw new Error('--connections: expected counts of at least 1');
  const scenarios = values.scenarios === undefined ? [...SCENARIOS] : values.scenarios === 'none' ? [] : values.scenarios.split(',').map((s) => s.trim());
  for (const s of scenarios) if (!SCENARIOS.includes(s as ScenarioName)) throw new Error(`--scenarios: unknown "${s}"; expected ${SCENARIOS.join(', ')}`);
  const variants = values.variants === undefined ? [...DEFAULT_VARIANTS] : parseVariantList(values.variants);
  return {
    quick,
    durationS: Math.max(1, positiveNumber('duration', values.duration, base.durationS)),
    warmupS: positiveNumber('warmup', values.warmup, base.warmupS),
    connections,
    ttfbCount: Math.max(1, Math.round(positiveNumber('ttfb-count', values['ttfb-count'], base.ttfbCount))),
    streams: Math.round(positiveNumber('streams', values.streams, base.streams)),
    streamsHoldS: Math.max(1, positiveNumber('hold', values.hold, base.streamsHoldS)),
    slowTokenDelayMs: Math.max(1, positiveNumber('token-delay-ms', values['token-delay-ms'], base.slowTokenDelayMs)),
    scenarios: scenarios as ScenarioName[],
    profile: values.profile === true,
    keelDist: values['keel-dist'],
    keelNodeFlags: (values['keel-node-flags'] ?? '').split(' ').filter((f) => f !== ''),
    variants,
    variantRounds: Math.max(2, Math.round(positiveNumber('variant-rounds', values['variant-rounds'], base.variantRounds))),
    variantBurstS: base.variantBurstS,
  };
}
