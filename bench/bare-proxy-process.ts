/**
 * Runs `bare-proxy.ts` as a child process with plain `node`, not through tsx: tsx's module hooks run a
 * loader thread that would add its memory and start-up work to the floor Keel is compared against.
 * The file is transpiled once per run (types stripped, nothing bundled) into node_modules/.cache, from
 * where `undici` resolves exactly as it does for Keel.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { EXIT_WITH_PARENT_IMPORT, readJsonLine, startChild, type Child } from './child-process.js';
import { cpuProfArgs } from './cpu-profile.js';

const SOURCE = fileURLToPath(new URL('./bare-proxy.ts', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../node_modules/.cache/keel-bench/', import.meta.url));

export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly child: Child;
  stop(): Promise<void>;
}

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

export async function startBareProxyProcess(upstreamOrigin: string, profileDir?: string): Promise<ServerProcess> {
  const args = [...cpuProfArgs(profileDir, 'bare-proxy'), '--import', EXIT_WITH_PARENT_IMPORT, transpiledProxy(), '--upstream', upstreamOrigin];
  const child = startChild('bare proxy', process.execPath, args);
  const { url } = await readJsonLine<{ url: string }>(child);
  return { name: 'bare proxy', url, child, stop: () => child.stop() };
}
