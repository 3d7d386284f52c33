/**
 * Live progress while a drill runs: on a terminal, one bar redrawn in place; otherwise (CI logs, pipes)
 * plain lines, one per phase and one per tenth of the run, so a log stays readable.
 */
import { formatDurationMs } from './duration.js';
import type { DrillProgress } from './run-drill.js';
import type { PhaseWindow } from './timeline.js';

export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  onPhase(phase: PhaseWindow): void;
  onProgress(progress: DrillProgress): void;
  /** Ends the bar's line; call before printing anything else. */
  finish(): void;
}

const BAR_WIDTH = 24;

export function createProgress(out: ProgressOutput, timeScale: number): Progress {
  const tty = out.isTTY === true;
  let lastTenth = -1;
  let drawn = false;
  const summary = (p: DrillProgress): string => {
    const c = p.counters;
    return `sent ${c.sent} · ok ${c.succeeded} · failed ${c.failed} · lost ${c.lost} · in flight ${c.inFlight}${c.notSent > 0 ? ` · not sent ${c.notSent}` : ''}`;
  };
  const clock = (p: DrillProgress): string => `${formatDurationMs(Math.min(p.elapsedMs, p.totalMs) * timeScale)}/${formatDurationMs(p.totalMs * timeScale)}`;
  return {
    onPhase(phase) {
      if (tty) return; // the bar names the phase
      out.write(`[${formatDurationMs(phase.scenarioStartMs)}] phase ${phase.name}${phase.description === undefined ? '' : `: ${phase.description}`}\n`);
    },
    onProgress(p) {
      const fraction = p.totalMs === 0 ? 1 : Math.min(1, p.elapsedMs / p.totalMs);
      if (tty) {
        const filled = Math.round(fraction * BAR_WIDTH);
        const line = `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${clock(p)} ${p.phase} · ${summary(p)}`;
        out.write(`\r\x1b[2K${line.slice(0, (out.columns ?? 0) > 20 ? out.columns! - 1 : 160)}`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(fraction * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        out.write(`${String(tenth * 10).padStart(3)}% ${clock(p)} ${p.phase}: ${summary(p)}\n`);
      }
    },
    finish() {
      if (tty && drawn) out.write('\n');
      drawn = false;
    },
  };
}
