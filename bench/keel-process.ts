/**
 * Runs a real Keel as a child process, exactly as users do (`node dist/cli/keel.js serve --config …`), so
 * the CPU and memory sampled from /proc are Keel's alone. The config is written to a temporary YAML
 * file, in a temporary directory that is also Keel's working directory; `server.log_level: warn` keeps the
 * per-request access log (info) out of the measurement, and a short drain timeout keeps shutdown quick.
 * Everything else is Keel's default.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { KeelConfigInput } from '../src/config/schema.js';
import { EXIT_WITH_PARENT_IMPORT, freePort, startChild, waitForHttp, type ServerProcess } from './child-process.js';
import { cpuProfArgs } from './cpu-profile.js';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));

/** How to run Keel: which build, and extra node flags for it (experiments; none by default). */
export interface KeelLaunch {
  distDir?: string | undefined;
  nodeFlags?: string[];
  /** Write a CPU profile here on exit. */
  profileDir?: string | undefined;
  /** Server settings over the bench's own (experiments, e.g. `heap_growth_percent`). */
  serverSettings?: Record<string, unknown> | undefined;
}

export const BENCH_SERVER_SETTINGS = {
  log_level: 'warn', // the access log is info: measuring it would measure stdout, not Keel
  drain_timeout_ms: 2_000, // nothing is in flight when the bench stops Keel
} as const;

export type KeelBenchConfig = Omit<KeelConfigInput, 'server'>;

export async function startKeelProcess(name: string, config: KeelBenchConfig, launch: KeelLaunch = {}): Promise<ServerProcess & { configYaml: string }> {
  const port = await freePort();
  const full: KeelConfigInput = { server: { host: '127.0.0.1', port, ...BENCH_SERVER_SETTINGS, ...launch.serverSettings }, ...config };
  const configYaml = stringify(full);
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-'));
  const file = join(dir, 'keel.yaml');
  writeFileSync(file, configYaml);
  const cli = join(resolve(launch.distDir ?? DIST), 'cli', 'keel.js');
  const args = [...(launch.nodeFlags ?? []), ...cpuProfArgs(launch.profileDir, name), '--import', EXIT_WITH_PARENT_IMPORT, cli, 'serve', '--config', file];
  // Run in the temporary directory: whatever Keel keeps by default in its working directory (the SQLite
  // store, keel.db) lands there and is removed with it, never in the repository.
  const child = startChild(name, process.execPath, args, { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(child, `${url}/healthz`);
  } catch (err) {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    name,
    url,
    child,
    configYaml,
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The launch settings the command line asks for. */
export function keelLaunch(options: { keelDist: string | undefined; keelNodeFlags: string[] }, profileDir: string | undefined): KeelLaunch {
  return { distDir: options.keelDist, nodeFlags: options.keelNodeFlags, profileDir };
}
