/**
 * Facts about the machine and the code under test, recorded with every result: CPU model and cores,
 * memory, Node and kernel versions, the load average (other work on the machine skews a benchmark), and
 * the git commit plus whether src/ had uncommitted changes when dist/ was built.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, freemem, loadavg, release, totalmem } from 'node:os';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  freeMemoryGb: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the bench started. */
  loadAverageAtStart: number[];
  gitCommit: string;
  /** Files under src/ that differed from the commit when the bench ran. */
  srcUncommittedFiles: number;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineFacts(): MachineFacts {
  const gb = (bytes: number): number => Math.round((bytes / 1024 ** 3) * 10) / 10;
  const dirty = git(['status', '--porcelain', '--', 'src']);
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: gb(totalmem()),
    freeMemoryGb: gb(freemem()),
    node: process.version,
    platform: `${process.platform} ${release()}`,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    gitCommit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    srcUncommittedFiles: dirty === '' ? 0 : dirty.split('\n').length,
  };
}
