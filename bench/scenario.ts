/**
 * The side-by-side scenarios — (a) clients call the simulator directly, (b) through the bare proxy,
 * (c) through Keel with one deployment, (d) through Keel with a three-deployment failover route whose
 * primary is dead, (e) through Keel's one deployment as Anthropic Messages clients, so every request and
 * every stream event is translated both ways — and how each is measured: for both modes, a warm-up, then one load cell per
 * connection count with the middle process's CPU and memory sampled, then (streams) time to first byte.
 */
import { startBareProxyProcess } from './bare-proxy-process.js';
import type { ServerProcess } from './child-process.js';
import { failoverConfig, openPrimaryBreaker, probesAllowed, singleConfig, startDeadPrimary } from './failover.js';
import { keelLaunch, startKeelProcess, type KeelLaunch } from './keel-process.js';
import { runLoad, type LoadResult } from './load.js';
import type { BenchOptions, ScenarioName } from './options.js';
import { MachineSampler, memoryKb, ProcessSampler, type ProcessUsage } from './process-sampler.js';
import { CLIENT_CALLS, MODES, type Dialect } from './requests.js';
import type { CellResult, ScenarioResult, UsagePerRequest } from './results.js';
import type { SimulatorProcess } from './simulator-process.js';
import { measureTtfb } from './ttfb.js';

export const SCENARIO_LABELS: Record<ScenarioName, string> = {
  direct: '(a) direct to the simulator',
  bare: '(b) bare proxy (node:http + undici Pool)',
  keel: '(c) Keel, one deployment',
  'keel-failover': '(d) Keel, failover, primary dead',
  'keel-translate': '(e) Keel, one deployment, Anthropic clients (translated)',
};

interface RunningScenario {
  name: ScenarioName;
  origin: string;
  /** The clients' API (OpenAI Chat Completions unless the scenario is about translation). */
  dialect?: Dialect;
  /** The process between client and simulator, whose CPU and memory are measured. */
  proxy: ServerProcess | undefined;
  configYaml?: string;
  notes: string[];
  /** Notes only known once the cells have run. */
  closingNotes?: () => string[];
  stop(): Promise<void>;
}

const MB = 1024; // kB per MiB

async function startScenario(name: ScenarioName, sim: SimulatorProcess, options: BenchOptions, profileDir: string | undefined): Promise<RunningScenario> {
  const launch = keelLaunch(options, profileDir);
  switch (name) {
    case 'direct':
      return { name, origin: sim.url, proxy: undefined, notes: [], stop: async () => undefined };
    case 'bare': {
      const proxy = await startBareProxyProcess(sim.url, { profileDir });
      return { name, origin: proxy.url, proxy, notes: [], stop: () => proxy.stop() };
    }
    case 'keel': {
      const keel = await startKeelProcess('keel', singleConfig(sim.url), launch);
      return { name, origin: keel.url, proxy: keel, configYaml: keel.configYaml, notes: [], stop: () => keel.stop() };
    }
    case 'keel-failover':
      return startFailoverScenario(sim, launch);
    case 'keel-translate': {
      const keel = await startKeelProcess('keel-translate', singleConfig(sim.url), launch);
      const notes = ['clients send Anthropic Messages requests (POST /v1/messages) to the OpenAI-format deployment of (c): Keel translates each request, answer and stream event, where (c) passes bytes through'];
      return { name, origin: keel.url, dialect: 'anthropic', proxy: keel, configYaml: keel.configYaml, notes, stop: () => keel.stop() };
    }
  }
}

/** Keel in front of a dead primary and two healthy fallbacks, with the primary's breaker already open. */
async function startFailoverScenario(sim: SimulatorProcess, launch: KeelLaunch): Promise<RunningScenario> {
  const dead = await startDeadPrimary();
  let keel: (ServerProcess & { configYaml: string }) | undefined;
  try {
    keel = await startKeelProcess('keel-failover', failoverConfig(sim.url, dead), launch);
    const warmup = await openPrimaryBreaker(keel.url);
    const notes = [
      `breaker warm-up: ${warmup.requests} requests in ${(warmup.elapsedMs / 1000).toFixed(1)} s, ${warmup.primaryAttempts} refused attempts on the primary; breaker ${warmup.open ? 'open' : 'NOT open'} before measuring`,
    ];
    const closingNotes = (): string[] => [`the dead primary's simulator received ${dead.requestsSeen()} requests: refused connects never reach it, so Keel's attempt headers are the count`];
    const running = keel;
    return {
      name: 'keel-failover',
      origin: keel.url,
      proxy: keel,
      configYaml: keel.configYaml,
      notes,
      closingNotes,
      stop: async () => {
        await running.stop();
        await dead.close();
      },
    };
  } catch (err) {
    await keel?.stop();
    await dead.close();
    throw err;
  }
}

function perRequest(usage: ProcessUsage, ok: number): UsagePerRequest {
  return {
    cpuUsPerRequest: ok === 0 ? Number.NaN : Math.round(usage.cpuUs / ok),
    cpuPct: Math.round((usage.cpuUs / (usage.wallMs * 1000)) * 100),
    peakRssMb: Math.round((usage.peakRssKb / MB) * 10) / 10,
  };
}

async function measureCell(run: RunningScenario, sim: SimulatorProcess, mode: CellResult['mode'], connections: number, durationS: number): Promise<CellResult> {
  const proxySampler = run.proxy === undefined ? undefined : new ProcessSampler(run.proxy.child.pid);
  const simSampler = new ProcessSampler(sim.child.pid);
  const machineSampler = new MachineSampler();
  const stopSamplers = (): { proxyUsage: ProcessUsage | undefined; simUsage: ProcessUsage } => ({ proxyUsage: proxySampler?.stop(), simUsage: simSampler.stop() });
  let load: LoadResult;
  try {
    load = await runLoad({ origin: run.origin, mode, connections, durationS, dialect: run.dialect });
  } catch (err) {
    stopSamplers(); // their timers would otherwise keep polling a process that may be gone
    throw err;
  }
  const { proxyUsage, simUsage } = stopSamplers();
  const machine = machineSampler.stop(simUsage.cpuUs + (proxyUsage?.cpuUs ?? 0));
  const cell: CellResult = {
    scenario: run.name,
    mode,
    connections,
    durationS: load.durationS,
    ok: load.ok,
    rps: load.rps,
    errors: load.errors,
    errorKinds: load.errorKinds,
    ...(load.errorSample === undefined ? {} : { errorSample: load.errorSample }),
    latency: load.latency,
    upstream: perRequest(simUsage, load.ok),
    byDeployment: load.byDeployment,
    loadGenCpuPct: machine.benchCpuPct,
    otherCpuPct: machine.otherCpuPct,
  };
  if (proxyUsage !== undefined) cell.proxy = perRequest(proxyUsage, load.ok);
  if (run.name === 'keel-failover') {
    cell.primaryAttempts = load.extraAttempts;
    cell.probesAllowed = probesAllowed(load.durationS);
  }
  return cell;
}

export async function runScenario(name: ScenarioName, sim: SimulatorProcess, options: BenchOptions, profileDir: string | undefined): Promise<ScenarioResult> {
  const run = await startScenario(name, sim, options, profileDir);
  const result: ScenarioResult = { name, label: SCENARIO_LABELS[name], cells: [], notes: run.notes, ...(run.configYaml === undefined ? {} : { configYaml: run.configYaml }) };
  try {
    if (run.proxy !== undefined) result.idleRssMb = Math.round((memoryKb(run.proxy.child.pid).rssKb / MB) * 10) / 10;
    const loadConnections = Math.max(...options.connections);
    for (const mode of MODES) {
      if (options.warmupS > 0) await runLoad({ origin: run.origin, mode, connections: loadConnections, durationS: options.warmupS, dialect: run.dialect });
      for (const connections of options.connections) {
        const cell = await measureCell(run, sim, mode, connections, options.durationS);
        result.cells.push(cell);
        console.error(`  ${name} ${mode} c=${connections}: ${cell.rps} req/s, p50 ${cell.latency.p50Ms} ms, p99 ${cell.latency.p99Ms} ms${cell.errors > 0 ? `, errors ${JSON.stringify(cell.errorKinds)}` : ''}`);
      }
      if (mode === 'stream') {
        const ttfb = await measureTtfb(run.origin, options.ttfbCount, undefined, CLIENT_CALLS[run.dialect ?? 'openai']);
        result.ttfb = { scenario: name, ...ttfb };
        console.error(`  ${name} stream TTFB: p50 ${ttfb.ttfb.p50Ms} ms, p99 ${ttfb.ttfb.p99Ms} ms`);
      }
    }
    if (run.proxy !== undefined) result.peakRssMb = Math.round((memoryKb(run.proxy.child.pid).hwmKb / MB) * 10) / 10;
    result.notes.push(...(run.closingNotes?.() ?? []));
  } catch (err) {
    // Keep what was measured before the failure; the report lists the error.
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    await run.stop();
  }
  return result;
}
