/**
 * Runs `bare-proxy.ts` as a child process with plain `node`, not through tsx: tsx's module hooks run a
 * loader thread that would add its memory and start-up work to the floor Keel is compared against.
 * The file is transpiled once per run (types stripped, nothing bundled) into node_modules/.cache, from
 * where `undici` resolves exactly as it does for Keel.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { EXIT_WITH_PARENT_IMPORT, readJsonLine, startChild, type ServerProcess } from './child-process.js';
import { cpuProfArgs } from './cpu-profile.js';

const SOURCE = fileURLToPath(new URL('./bare-proxy.ts', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../node_modules/.cache/keel-bench/', import.meta.url));

function transpiledProxy(): string {
  const { outputText } = ts.transpileModule(readFileSync(SOURCE, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023, verbatimModuleSyntax: true },
    fileName: SOURCE,
  });
  mkdirSync(CACHE_DIR, { recursive: true });
  const file = `${CACHE_DIR}bare-proxy.mjs`;
  writeFileSync(file, outputText);
  return file;
}

export interface BareProxyLaunch {
  /** Upstream pool size; the default is Keel's default `max_connections`. */
  poolConnections?: number;
  profileDir?: string | undefined;
  name?: string;
  nodeFlags?: string[];
  /** The leaner pass-through (no `pipeline`, no `AbortController`; see bare-proxy.ts). */
  lean?: boolean;
}

export async function startBareProxyProcess(upstreamOrigin: string, launch: BareProxyLaunch = {}): Promise<ServerProcess> {
  const name = launch.name ?? 'bare-proxy';
  const pool = launch.poolConnections === undefined ? [] : ['--connections', String(launch.poolConnections)];
  const args = [...(launch.nodeFlags ?? []), ...cpuProfArgs(launch.profileDir, name), '--import', EXIT_WITH_PARENT_IMPORT, transpiledProxy(), '--upstream', upstreamOrigin, ...pool, ...(launch.lean === true ? ['--lean'] : [])];
  const child = startChild(name, process.execPath, args);
  const { url } = await readJsonLine<{ url: string }>(child);
  return { name, url, child, stop: () => child.stop() };
}
