/**
 * CPU and memory of one process, read from /proc (Linux) without any dependency: CPU time as
 * utime + stime of every thread (GC and libuv threads included), memory as VmRSS now and VmHWM, the
 * kernel's own high-water mark of the resident set. A sampler polls VmRSS during a measured cell so each
 * cell gets its own peak, while VmHWM gives the peak over the whole life of the process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const SAMPLE_INTERVAL_MS = 100; // 10 reads a second: cheap, and no RSS peak lasts less than that under load

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every mainstream Linux. */
const CLOCK_TICKS_PER_S = ((): number => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time in a `stat` file of proc(5), in microseconds (resolution: one clock tick, 10 ms). */
function statCpuUs(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]); // field 14 of proc(5)
  const stime = Number(fields[12]); // field 15
  return ((utime + stime) * 1_000_000) / CLOCK_TICKS_PER_S;
}

/** User + system CPU time of the process so far (all its threads), in microseconds. */
export function cpuTimeUs(pid: number): number {
  return statCpuUs(`/proc/${pid}/stat`);
}

/**
 * The same for the process's main thread alone: in node, the event loop and all JavaScript. The rest of
 * a node process's CPU is V8's helper threads (garbage collection, optimizing compilation) and libuv's
 * pool; `cpuTimeUs − mainThreadCpuTimeUs` is what they used.
 */
export function mainThreadCpuTimeUs(pid: number): number {
  return statCpuUs(`/proc/${pid}/task/${pid}/stat`);
}

export interface MemoryKb {
  rssKb: number;
  /** Peak resident set over the life of the process. */
  hwmKb: number;
}

export function memoryKb(pid: number): MemoryKb {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

export interface ProcessUsage {
  /** CPU time used between `start` and `stop`. */
  cpuUs: number;
  wallMs: number;
  /** The largest VmRSS read while sampling. */
  peakRssKb: number;
  /** VmHWM when sampling stopped: the peak over the process's whole life. */
  hwmKb: number;
}

/** Samples one process from `start()` until `stop()`. */
export class ProcessSampler {
  private readonly startCpuUs: number;
  private readonly startedAt = performance.now();
  private peakRssKb: number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.startCpuUs = cpuTimeUs(pid);
    this.peakRssKb = memoryKb(pid).rssKb;
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
  }

  private sample(): void {
    try {
      this.peakRssKb = Math.max(this.peakRssKb, memoryKb(this.pid).rssKb);
    } catch {
      // the process is gone; stop() reports what was seen
    }
  }

  stop(): ProcessUsage {
    clearInterval(this.timer);
    this.sample();
    return {
      cpuUs: cpuTimeUs(this.pid) - this.startCpuUs,
      wallMs: performance.now() - this.startedAt,
      peakRssKb: this.peakRssKb,
      hwmKb: memoryKb(this.pid).hwmKb,
    };
  }
}

/** CPU time of the whole machine so far, in µs: busy (user, nice, system, irq, softirq) and steal. */
export function machineCpuUs(): { busyUs: number; stealUs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const toUs = (ticks: number): number => (ticks * 1_000_000) / CLOCK_TICKS_PER_S;
  return { busyUs: toUs(user + nice + system + irq + softirq), stealUs: toUs(steal) };
}

/**
 * CPU used on the machine during a cell by everything except the given processes (and the bench itself,
 * counted apart): other work on a shared machine shows here, so a noisy number can be told from a slow one.
 */
export class MachineSampler {
  private readonly start = machineCpuUs();
  private readonly benchStartUs = cpuTimeUs(process.pid);
  private readonly startedAt = performance.now();

  /** `ownUs`: CPU the measured children used in the same interval. */
  stop(ownUs: number): { benchCpuPct: number; otherCpuPct: number; stealPct: number } {
    const end = machineCpuUs();
    const wallUs = (performance.now() - this.startedAt) * 1000;
    const benchUs = cpuTimeUs(process.pid) - this.benchStartUs;
    const pct = (us: number): number => Math.max(0, Math.round((us / wallUs) * 100));
    return { benchCpuPct: pct(benchUs), otherCpuPct: pct(end.busyUs - this.start.busyUs - benchUs - ownUs), stealPct: pct(end.stealUs - this.start.stealUs) };
  }
}
