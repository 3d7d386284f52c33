/**
 * Runs Keel's provider simulator in a child process (see `simulator-main.ts`) and reads its stats over
 * the control API. Used for every healthy upstream; the dead primary of the failover scenario is an
 * in-process simulator instead, because all it has to do is stop listening.
 */
import { fileURLToPath } from 'node:url';
import type { SimStats, SimulatorOptions } from '../src/simulator/index.js';
import { EXIT_WITH_PARENT_IMPORT, readJsonLine, startChild, type Child } from './child-process.js';

const MAIN = fileURLToPath(new URL('./simulator-main.ts', import.meta.url));
const START_TIMEOUT_MS = 15_000; // tsx compiles the simulator on start: a second or two on a slow machine

export interface SimulatorProcess {
  readonly url: string;
  readonly child: Child;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimulatorProcess(name: string, options: SimulatorOptions): Promise<SimulatorProcess> {
  const child = startChild(name, process.execPath, ['--import', EXIT_WITH_PARENT_IMPORT, '--import', 'tsx', MAIN, JSON.stringify(options)]);
  const { url } = await readJsonLine<{ url: string }>(child, START_TIMEOUT_MS);
  const control = async (method: string, path: string): Promise<unknown> => {
    const res = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) throw new Error(`${name}: ${method} ${path} answered ${res.status}`);
    return res.json();
  };
  return {
    url,
    child,
    stats: async () => (await control('GET', '/_sim/stats')) as SimStats,
    resetStats: async () => {
      await control('POST', '/_sim/reset');
    },
    stop: () => child.stop(),
  };
}
