/**
 * Runs a real Keel as a child process, exactly as users do (`node dist/cli/keel.js serve --config …`), so
 * the CPU and memory sampled from /proc are Keel's alone. The config is written to a temporary YAML
 * file; `server.log_level: warn` keeps the per-request access log (info) out of the measurement, and a
 * short drain timeout keeps shutdown quick.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { KeelConfigInput } from '../src/config/schema.js';
import type { ServerProcess } from './bare-proxy-process.js';
import { EXIT_WITH_PARENT_IMPORT, freePort, startChild, waitForHttp } from './child-process.js';
import { cpuProfArgs } from './cpu-profile.js';

const KEEL_CLI = fileURLToPath(new URL('../dist/cli/keel.js', import.meta.url));

export const BENCH_SERVER_SETTINGS = {
  log_level: 'warn', // the access log is info: measuring it would measure stdout, not Keel
  drain_timeout_ms: 2_000, // nothing is in flight when the bench stops Keel
} as const;

export type KeelBenchConfig = Omit<KeelConfigInput, 'server'>;

export async function startKeelProcess(name: string, config: KeelBenchConfig, profileDir?: string): Promise<ServerProcess & { configYaml: string }> {
  const port = await freePort();
  const full: KeelConfigInput = { server: { host: '127.0.0.1', port, ...BENCH_SERVER_SETTINGS }, ...config };
  const configYaml = stringify(full);
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-'));
  const file = join(dir, 'keel.yaml');
  writeFileSync(file, configYaml);
  const args = [...cpuProfArgs(profileDir, name), '--import', EXIT_WITH_PARENT_IMPORT, KEEL_CLI, 'serve', '--config', file];
  const child = startChild(name, process.execPath, args);
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
