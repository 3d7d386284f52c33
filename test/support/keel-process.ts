/**
 * `keel serve` as a real process (TypeScript through tsx), for tests that must stop a replica the way a
 * crash or an orchestrator does: SIGKILL (nothing released, nothing flushed) or SIGTERM (the graceful
 * drain). Its JSON log lines are kept so a test can wait for one.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

const CLI = resolve('src/cli/keel.ts');
// Resolved from the repo, so the child can run TypeScript from any working directory.
const TSX = import.meta.resolve('tsx');

export interface KeelProcess {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  /** Resolves with the listening URL; rejects if the process exits first. */
  url: Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  output(): string;
}

export function startKeelProcess(configPath: string, env: Record<string, string> = {}): KeelProcess {
  const childEnv = { ...process.env, ...env };
  for (const key of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'KEEL_CONFIG']) delete childEnv[key];
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'serve', '--config', configPath, '--port', '0'], { env: childEnv });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((r) => child.once('exit', (code, signal) => r({ code, signal, atMs: Date.now() })));
  const url = new Promise<string>((resolveUrl, reject) => {
    const onData = (): void => {
      const match = /Keel listening on (http:\/\/[\d.:]+)/.exec(out);
      if (match) resolveUrl(match[1]!);
    };
    child.stdout.on('data', onData);
    void exit.then(() => reject(new Error(`keel exited early:\n${out}`)));
  });
  url.catch(() => undefined);
  return { child, pid: child.pid!, url, exit, output: () => out };
}
