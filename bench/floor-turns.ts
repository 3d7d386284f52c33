/**
 * Keel against the floor in turns: the bare proxy and Keel (one deployment) run side by side against one
 * simulator and take short bursts of the same load at the busy connection count, alternating which goes
 * first each round (interleave.ts). The scenario cells measure them minutes apart, and this shared 2-core
 * machine drifts by more than the targets' margins in that time (a plain CPU loop varied ±15% between
 * runs; one run read Keel at 1.47× the floor's CPU per answer, the next at 0.75×). Bursts seconds apart
 * see the same drift, so the median of the per-round ratios is the figure the throughput targets read;
 * the cells' own ratio is reported beside it. Then the simulator, the bare proxy and Keel take turns at
 * one connection, for the same reason: one-second bursts of each mode (the latency added over direct, per
 * round, whose median the one-connection latency targets read), and streaming time to first byte (ttfb.ts).
 * The one-connection cells measure the three a minute or more apart: one run read the simulator's own
 * CPU per answer 44 % higher in Keel's cell than in the bare proxy's, so the machine, not the proxy, had
 * moved, and the cell's added latency with it. A third Keel, the failover route with its dead primary's
 * breaker opened by a warm-up, takes its turn in the same busy rounds: the breaker target compares it with
 * the healthy Keel of the same round (the cells, minutes apart, once read 0.82× on a run whose rounds
 * agree on a few per cent). A leaner pass-through (bare-proxy.ts `--lean`) takes its turn in the same busy
 * rounds, to be shown beside the floor; every burst reads the main thread's CPU apart from the rest.
 */
import { startBareProxyProcess } from './bare-proxy-process.js';
import type { ServerProcess } from './child-process.js';
import { failoverConfig, openPrimaryBreaker, singleConfig, startDeadPrimary, type BreakerWarmup } from './failover.js';
import { inTurns, ratiosOf, type BurstTarget } from './interleave.js';
import { median } from './stats.js';
import { startKeelProcess } from './keel-process.js';
import { MODES, type Mode } from './requests.js';
import { startSimulatorProcess } from './simulator-process.js';
import { ttfbInTurns, type TtfbTurnsResult } from './ttfb.js';
import { round2, round3 } from './latency.js';

export interface FloorTurnsRow {
  mode: Mode;
  bareRps: number[];
  keelRps: number[];
  bareUs: number[];
  keelUs: number[];
  /** Of `bareUs` and `keelUs`, the main thread's (JavaScript and the event loop); the rest is V8's helper threads. */
  bareMainUs: number[];
  keelMainUs: number[];
  /** Median of the rounds' Keel ÷ bare requests per second. */
  rpsRatio: number;
  /** Median of the rounds' bare ÷ Keel CPU per answer: above 1 when Keel spends less. */
  cpuRatio: number;
  /** The failover route's requests per second, its primary's breaker open, per round. */
  failoverRps: number[];
  /** Median of the rounds' failover route ÷ healthy Keel requests per second. */
  failoverRatio: number;
  /**
   * The leaner pass-through (bare-proxy.ts `--lean`: no `pipeline`, no `AbortController`), taking its turn
   * in the same rounds: shown beside the floor, not a target's.
   */
  leanRps: number[];
  leanUs: number[];
  leanMainUs: number[];
}

export interface FloorTurnsResult {
  rounds: number;
  burstS: number;
  connections: number;
  rows: FloorTurnsRow[];
  /** How the failover route's breaker was opened before the rounds (its figures count only when it was). */
  failoverWarmup?: BreakerWarmup;
  /** Latency added over the simulator at one connection, per mode, in turns. */
  latency?: LatencyTurnsRow[];
  /** Streaming time to first byte (and whole stream) of the simulator (`direct`), the bare proxy (`bare`) and Keel (`keel`), in turns. */
  ttfb?: TtfbTurnsResult;
}

const TTFB_PER_ROUND = 100; // streams per target per round: ~0.1 s each, so a round spans well under a second
const LATENCY_BURST_S = 1; // thousands of answers at one connection: enough for a p99 per burst

/** One mode's latency at one connection, in turns: each round's p50 and p99 per target, and the medians of the rounds' added latency. */
export interface LatencyTurnsRow {
  mode: Mode;
  rounds: number;
  burstS: number;
  /** Per round, in ms: the simulator's, the bare proxy's and Keel's p50 and p99. */
  direct: { p50: number[]; p99: number[] };
  bare: { p50: number[]; p99: number[] };
  keel: { p50: number[]; p99: number[] };
  /** Medians over the rounds of (target − direct), in ms. */
  keelAdded: { p50: number; p99: number };
  bareAdded: { p50: number; p99: number };
}

export async function runFloorTurns(rounds: number, burstS: number, connections: number): Promise<FloorTurnsResult> {
  const sim = await startSimulatorProcess('simulator', { tokenDelayMs: 0 });
  const dead = await startDeadPrimary();
  const started: ServerProcess[] = [];
  try {
    const bare = await startBareProxyProcess(sim.url, { name: 'bare-turns' });
    started.push(bare);
    const keel = await startKeelProcess('keel-turns', singleConfig(sim.url));
    started.push(keel);
    const failover = await startKeelProcess('keel-failover-turns', failoverConfig(sim.url, dead));
    started.push(failover);
    const lean = await startBareProxyProcess(sim.url, { name: 'bare-lean-turns', lean: true });
    started.push(lean);
    const failoverWarmup = await openPrimaryBreaker(failover.url);
    const rows: FloorTurnsRow[] = MODES.map((mode) => ({ mode, bareRps: [], keelRps: [], bareUs: [], keelUs: [], bareMainUs: [], keelMainUs: [], rpsRatio: Number.NaN, cpuRatio: Number.NaN, failoverRps: [], failoverRatio: Number.NaN, leanRps: [], leanUs: [], leanMainUs: [] }));
    const targets = [bare, keel].map((p) => ({ name: p.name, url: p.url, pid: p.child.pid }));
    const busy = [...targets, { name: failover.name, url: failover.url, pid: failover.child.pid }, { name: lean.name, url: lean.url, pid: lean.child.pid }];
    await inTurns(busy, { rounds, burstS, connections, label: 'Keel and the bare proxy in turns' }, (mode, [b, k, f, l]) => {
      const row = rows.find((r) => r.mode === mode)!;
      row.bareRps.push(Math.round(b!.rps));
      row.keelRps.push(Math.round(k!.rps));
      row.bareUs.push(Math.round(b!.cpuUsPerAnswer));
      row.keelUs.push(Math.round(k!.cpuUsPerAnswer));
      row.bareMainUs.push(Math.round(b!.mainUsPerAnswer));
      row.keelMainUs.push(Math.round(k!.mainUsPerAnswer));
      row.failoverRps.push(Math.round(f!.rps));
      row.leanRps.push(Math.round(l!.rps));
      row.leanUs.push(Math.round(l!.cpuUsPerAnswer));
      row.leanMainUs.push(Math.round(l!.mainUsPerAnswer));
    });
    for (const row of rows) {
      row.rpsRatio = round2(median(ratiosOf(row.keelRps, row.bareRps)));
      row.cpuRatio = round2(median(ratiosOf(row.bareUs, row.keelUs)));
      row.failoverRatio = round2(median(ratiosOf(row.failoverRps, row.keelRps)));
    }
    const latency = await latencyInTurns([{ name: 'direct', url: sim.url, pid: sim.child.pid }, ...targets], rounds);
    const ttfb = await ttfbInTurns([{ name: 'direct', url: sim.url }, { name: 'bare', url: bare.url }, { name: 'keel', url: keel.url }], rounds, TTFB_PER_ROUND);
    return { rounds, burstS, connections, rows, failoverWarmup, latency, ttfb };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await dead.close();
    await sim.stop();
  }
}

/** The simulator, the bare proxy and Keel (in that order) in one-second bursts at one connection, in turns. */
async function latencyInTurns(targets: BurstTarget[], rounds: number): Promise<LatencyTurnsRow[]> {
  const rows = MODES.map((mode): LatencyTurnsRow => {
    const side = () => ({ p50: [] as number[], p99: [] as number[] });
    return { mode, rounds, burstS: LATENCY_BURST_S, direct: side(), bare: side(), keel: side(), keelAdded: { p50: Number.NaN, p99: Number.NaN }, bareAdded: { p50: Number.NaN, p99: Number.NaN } };
  });
  await inTurns(targets, { rounds, burstS: LATENCY_BURST_S, connections: 1, label: 'one connection, in turns' }, (mode, bursts) => {
    const row = rows.find((r) => r.mode === mode)!;
    [row.direct, row.bare, row.keel].forEach((side, i) => {
      side.p50.push(bursts[i]!.latency.p50Ms);
      side.p99.push(bursts[i]!.latency.p99Ms);
    });
  });
  const added = (side: LatencyTurnsRow['keel'], direct: LatencyTurnsRow['direct']) => ({
    p50: round3(median(side.p50.map((v, i) => v - direct.p50[i]!))),
    p99: round3(median(side.p99.map((v, i) => v - direct.p99[i]!))),
  });
  for (const row of rows) {
    row.keelAdded = added(row.keel, row.direct);
    row.bareAdded = added(row.bare, row.direct);
  }
  return rows;
}
