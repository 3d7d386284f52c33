/**
 * Keel against the floor in turns: the bare proxy and Keel (one deployment) run side by side against one
 * simulator and take short bursts of the same load at the busy connection count, alternating which goes
 * first each round (interleave.ts). The scenario cells measure them minutes apart, and this shared 2-core
 * machine drifts by more than the targets' margins in that time (a plain CPU loop varied ±15% between
 * runs; one run read Keel at 1.47× the floor's CPU per answer, the next at 0.75×). Bursts seconds apart
 * see the same drift, so the median of the per-round ratios is the figure the throughput targets read;
 * the cells' own ratio is reported beside it. Then the simulator, the bare proxy and Keel take turns at
 * streaming time to first byte (ttfb.ts), for the same reason.
 */
import { startBareProxyProcess } from './bare-proxy-process.js';
import type { ServerProcess } from './child-process.js';
import { singleConfig } from './failover.js';
import { inTurns, median, ratiosOf } from './interleave.js';
import { startKeelProcess } from './keel-process.js';
import { MODES, type Mode } from './requests.js';
import { startSimulatorProcess } from './simulator-process.js';
import { ttfbInTurns, type TtfbTurnsResult } from './ttfb.js';

export interface FloorTurnsRow {
  mode: Mode;
  bareRps: number[];
  keelRps: number[];
  bareUs: number[];
  keelUs: number[];
  /** Median of the rounds' Keel ÷ bare requests per second. */
  rpsRatio: number;
  /** Median of the rounds' bare ÷ Keel CPU per answer: above 1 when Keel spends less. */
  cpuRatio: number;
}

export interface FloorTurnsResult {
  rounds: number;
  burstS: number;
  connections: number;
  rows: FloorTurnsRow[];
  /** Streaming time to first byte of the simulator (`direct`), the bare proxy (`bare`) and Keel (`keel`), in turns. */
  ttfb?: TtfbTurnsResult;
}

const TTFB_PER_ROUND = 100; // streams per target per round: ~0.1 s each, so a round spans well under a second

const r2 = (n: number): number => Math.round(n * 100) / 100;

export async function runFloorTurns(rounds: number, burstS: number, connections: number): Promise<FloorTurnsResult> {
  const sim = await startSimulatorProcess('simulator', { tokenDelayMs: 0 });
  const started: ServerProcess[] = [];
  try {
    const bare = await startBareProxyProcess(sim.url, { name: 'bare-turns' });
    started.push(bare);
    const keel = await startKeelProcess('keel-turns', singleConfig(sim.url));
    started.push(keel);
    const rows: FloorTurnsRow[] = MODES.map((mode) => ({ mode, bareRps: [], keelRps: [], bareUs: [], keelUs: [], rpsRatio: Number.NaN, cpuRatio: Number.NaN }));
    const targets = [bare, keel].map((p) => ({ name: p.name, url: p.url, pid: p.child.pid }));
    await inTurns(targets, { rounds, burstS, connections, label: 'Keel and the bare proxy in turns' }, (mode, [b, k]) => {
      const row = rows.find((r) => r.mode === mode)!;
      row.bareRps.push(Math.round(b!.rps));
      row.keelRps.push(Math.round(k!.rps));
      row.bareUs.push(Math.round(b!.cpuUsPerAnswer));
      row.keelUs.push(Math.round(k!.cpuUsPerAnswer));
    });
    for (const row of rows) {
      row.rpsRatio = r2(median(ratiosOf(row.keelRps, row.bareRps)));
      row.cpuRatio = r2(median(ratiosOf(row.bareUs, row.keelUs)));
    }
    const ttfb = await ttfbInTurns([{ name: 'direct', url: sim.url }, { name: 'bare', url: bare.url }, { name: 'keel', url: keel.url }], rounds, TTFB_PER_ROUND);
    return { rounds, burstS, connections, rows, ttfb };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await sim.stop();
  }
}
