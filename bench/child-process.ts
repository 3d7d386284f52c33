/**
 * Child processes of the benchmark, and the guarantee that none outlives it. Every child is spawned
 * through here and tracked; a normal end stops each one (SIGTERM, then SIGKILL), and the bench's own
 * exit, crash or Ctrl-C kills whatever is left. A child also exits by itself when its stdin closes (a
 * one-line preload), which covers the one case no handler can: the bench being SIGKILLed.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** Preloaded into every child: the parent holds the other end of stdin, so EOF means the parent is gone. */
const EXIT_WITH_PARENT = 'process.stdin.on("end",()=>process.exit(1)).on("error",()=>process.exit(1)).resume();';
export const EXIT_WITH_PARENT_IMPORT = `data:text/javascript,${encodeURIComponent(EXIT_WITH_PARENT)}`;

const OUTPUT_TAIL_CHARS = 4_000; // enough of a crashed child's output to say why
const STOP_GRACE_MS = 5_000; // Keel drains for at most 2 s in the bench config; then it is stuck

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The last few KB of the child's stdout and stderr, for error messages. */
  output(): string;
  exited(): boolean;
  /** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** A child that serves HTTP: the bare proxy or a Keel, the processes whose CPU and memory are measured. */
export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly child: Child;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let guardsInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

function installGuards(): void {
  if (guardsInstalled) return;
  guardsInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, stopping child processes`);
      killAllNow();
      process.exit(130);
    });
  }
}

export function startChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  installGuards();
  const stdio: SpawnOptions['stdio'] = options.stdio ?? ['pipe', 'pipe', 'pipe'];
  const proc = spawn(command, args, { ...options, stdio });
  if (proc.pid === undefined) throw new Error(`could not start ${name}: ${command} ${args.join(' ')}`);
  live.add(proc);
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.stdin?.on('error', () => undefined); // the child may be gone before we close its stdin
  proc.once('exit', () => live.delete(proc));
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null;
  const pid = proc.pid;
  return {
    name,
    process: proc,
    pid,
    output: () => tail,
    exited,
    async stop(graceMs = STOP_GRACE_MS) {
      if (exited()) return;
      const gone = once(proc, 'exit');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** A free loopback port, for children that must be told their port up front. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Polls `url` until it answers 200, the child dies, or `timeoutMs` passes. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exited()) throw new Error(`${child.name} exited during start-up:\n${child.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${child.output()}`);
}

/** Resolves with the first line of the child's stdout that is a JSON object (children print `{"url":…}`). */
export function readJsonLine<T>(child: Child, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`${child.name} printed nothing within ${timeoutMs} ms:\n${child.output()}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      const line = buffered.split('\n').find((l) => l.startsWith('{') && l.endsWith('}'));
      if (line === undefined) return;
      cleanup();
      resolve(JSON.parse(line) as T);
    };
    const onExit = (): void => fail(new Error(`${child.name} exited during start-up:\n${child.output()}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      child.process.stdout?.off('data', onData);
      child.process.off('exit', onExit);
    };
    const fail = (error: Error): void => {
      cleanup();
      child.process.kill('SIGKILL');
      reject(error);
    };
    child.process.stdout?.on('data', onData);
    child.process.once('exit', onExit);
  });
}
