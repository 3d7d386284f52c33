/**
 * Many open streams: N clients each hold a streamed answer open (a slow simulator sends a long reply at
 * one token per `slowTokenDelayMs`), first through the bare proxy (the floor), then through Keel, and the
 * middle process's memory is sampled while all N are open. Then every client leaves at once, and the
 * simulator's count of active streams shows whether the middle process cancelled its upstream calls.
 * Opening is paced in batches and every wait is bounded in time.
 */
import { Pool } from 'undici';
import { resilienceSchema } from '../src/config/schema.js';
import { startBareProxyProcess } from './bare-proxy-process.js';
import type { ServerProcess } from './child-process.js';
import { BENCH_API_KEY } from './failover.js';
import { keelLaunch, startKeelProcess, type KeelBenchConfig } from './keel-process.js';
import type { BenchOptions } from './options.js';
import { cpuTimeUs, memoryKb, ProcessSampler } from './process-sampler.js';
import { CHAT_PATH, requestBody, REQUEST_HEADERS, UPSTREAM_MODEL } from './requests.js';
import type { ManyStreamsResult, StreamHold } from './results.js';
import { startSimulatorProcess, type SimulatorProcess } from './simulator-process.js';

const LIMITS = {
  batchSize: 250, // streams opened per batch: half the listen backlog (511), so no connect is dropped
  batchGapMs: 50,
  openTimeoutMs: 90_000, // all N first bytes must arrive within this, or the run goes on with what opened
  replyMarginS: 30, // the reply outlasts opening + hold by this much, so no stream ends on its own
  cancelCheckMs: 10_000, // after the clients leave, the proxy has this long to close its upstream streams
  pollMs: 250,
  progressEveryMs: 5_000,
} as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

function longReply(tokens: number): string {
  const words = ['Keel', 'keeps', 'answering', 'while', 'a', 'provider', 'is', 'down,', 'one', 'token', 'at', 'a', 'time.'];
  return Array.from({ length: tokens }, (_, i) => words[i % words.length]).join(' ');
}

/**
 * Limits to lift for N concurrent streams on one deployment, read from the config schema so the bench
 * works with Keels that do not have a setting yet (an unknown key is a config error).
 */
function streamLimits(max: number): { resilience: KeelBenchConfig['resilience']; notes: string[] } {
  const notes = [`deployments[].max_connections: ${max} (default 128: a stream holds its upstream connection, so the rest would queue in the pool); the bare proxy's pool gets the same`];
  const keys = Object.keys(resilienceSchema.shape);
  const resilience: Record<string, unknown> = {};
  if (keys.includes('concurrency')) {
    resilience['concurrency'] = { initial: max, max };
    notes.push(`resilience.concurrency: { initial: ${max}, max: ${max} } (the adaptive per-deployment limit starts at 64 and grows only as calls complete, so with defaults all streams past the 64th are answered 429 "at capacity")`);
  }
  if (keys.includes('admission')) {
    resilience['admission'] = { max_concurrent: max };
    notes.push(`resilience.admission.max_concurrent: ${max} (default 5,000)`);
  }
  return { resilience: Object.keys(resilience).length === 0 ? undefined : (resilience as KeelBenchConfig['resilience']), notes };
}

/** Opens N streams through `server`, holds them, samples its memory, then lets them all go. */
async function holdStreams(server: ServerProcess, sim: SimulatorProcess, options: BenchOptions): Promise<StreamHold> {
  const n = options.streams;
  const pid = server.child.pid;
  const pool = new Pool(server.url, { connections: n, pipelining: 1, headersTimeout: LIMITS.openTimeoutMs, bodyTimeout: LIMITS.openTimeoutMs });
  const clients: AbortController[] = [];
  let open = 0;
  let failed = 0;
  const failures: Record<string, number> = {};
  const body = requestBody('stream');
  const openStream = (): void => {
    const client = new AbortController();
    clients.push(client);
    let counted = false;
    pool
      .request({ method: 'POST', path: CHAT_PATH, headers: REQUEST_HEADERS, body, signal: client.signal })
      .then((res) => {
        if (res.statusCode !== 200) {
          res.body.destroy();
          throw new Error(`status ${res.statusCode}`);
        }
        res.body.on('error', () => undefined); // aborting our own request ends the body with an error
        res.body.once('data', () => {
          counted = true;
          open += 1;
        });
        res.body.resume();
      })
      .catch((err: unknown) => {
        if (counted || client.signal.aborted) return;
        failed += 1;
        const kind = err instanceof Error ? err.message : String(err);
        failures[kind] = (failures[kind] ?? 0) + 1;
      });
  };

  try {
    const idleRssKb = memoryKb(pid).rssKb;
    const sampler = new ProcessSampler(pid);
    const rampStartedAt = performance.now();
    const openDeadline = Date.now() + LIMITS.openTimeoutMs;
    let progress = { at: Date.now(), serverUs: cpuTimeUs(pid), simUs: cpuTimeUs(sim.child.pid) };
    const report = (): void => {
      // Where the time goes while streams open: a saturated process here explains a slow ramp.
      if (Date.now() - progress.at < LIMITS.progressEveryMs) return;
      const now = { at: Date.now(), serverUs: cpuTimeUs(pid), simUs: cpuTimeUs(sim.child.pid) };
      const pct = (us: number): number => Math.round(us / ((now.at - progress.at) * 10));
      console.error(`    ${server.name}: ${open} open, ${failed} failed; CPU ${pct(now.serverUs - progress.serverUs)}%, simulator ${pct(now.simUs - progress.simUs)}%; RSS ${mb(memoryKb(pid).rssKb)} MB`);
      progress = now;
    };
    // At most one batch waiting for its first byte at a time: a burst of connects larger than the
    // listen backlog would be dropped by the kernel while the server is busy, and the run would measure that.
    for (let i = 0; i < n && Date.now() < openDeadline; i += LIMITS.batchSize) {
      for (let j = i; j < Math.min(n, i + LIMITS.batchSize); j++) openStream();
      await sleep(LIMITS.batchGapMs);
      while (clients.length - open - failed >= LIMITS.batchSize && Date.now() < openDeadline) {
        await sleep(LIMITS.batchGapMs);
        report();
      }
    }
    while (open + failed < n && Date.now() < openDeadline) {
      await sleep(LIMITS.pollMs);
      report();
    }
    const rampS = Math.round((performance.now() - rampStartedAt) / 100) / 10;
    console.error(`  ${server.name}: ${open}/${n} streams open after ${rampS} s${failed > 0 ? `, ${failed} failed` : ''}; holding ${options.streamsHoldS} s`);

    const holdSampler = new ProcessSampler(pid);
    await sleep((options.streamsHoldS * 1000) / 2);
    const upstreamActive = (await sim.stats()).active;
    await sleep((options.streamsHoldS * 1000) / 2);
    const hold = holdSampler.stop();
    const usage = sampler.stop();

    for (const client of clients) client.abort();
    let upstreamLeftOpen = (await sim.stats()).active;
    const cancelDeadline = Date.now() + LIMITS.cancelCheckMs;
    while (upstreamLeftOpen > 0 && Date.now() < cancelDeadline) {
      await sleep(LIMITS.pollMs);
      upstreamLeftOpen = (await sim.stats()).active;
    }
    return {
      open,
      failed,
      failures,
      upstreamActive,
      upstreamLeftOpen,
      rampS,
      idleRssMb: mb(idleRssKb),
      peakRssMb: mb(usage.peakRssKb),
      hwmMb: mb(usage.hwmKb),
      rssPerStreamKb: open === 0 ? Number.NaN : Math.round((usage.peakRssKb - idleRssKb) / open),
      cpuPctDuringHold: Math.round((hold.cpuUs / (hold.wallMs * 1000)) * 100),
    };
  } finally {
    for (const client of clients) client.abort();
    await pool.destroy();
  }
}

export async function runManyStreams(options: BenchOptions, profileDir: string | undefined): Promise<ManyStreamsResult> {
  const n = options.streams;
  const replyTokens = Math.ceil(((LIMITS.openTimeoutMs / 1000 + options.streamsHoldS + LIMITS.replyMarginS) * 1000) / options.slowTokenDelayMs);
  const maxConnections = n + 64;
  const { resilience, notes } = streamLimits(maxConnections);
  const sim = await startSimulatorProcess('slow simulator', { tokenDelayMs: options.slowTokenDelayMs, models: [{ name: UPSTREAM_MODEL, reply: longReply(replyTokens) }, { name: 'bench', reply: longReply(replyTokens) }] });
  try {
    const bare = await startBareProxyProcess(sim.url, { poolConnections: maxConnections, name: 'bare-proxy-streams' });
    let floor: StreamHold;
    try {
      floor = await holdStreams(bare, sim, options);
    } finally {
      await bare.stop();
    }
    const keel = await startKeelProcess(
      'keel-streams',
      {
        deployments: [{ id: 'slow', provider: 'openai', model: UPSTREAM_MODEL, base_url: `${sim.url}/v1`, api_key: BENCH_API_KEY, max_connections: maxConnections }],
        routes: { bench: { deployments: ['slow'] } },
        ...(resilience === undefined ? {} : { resilience }),
      },
      keelLaunch(options, profileDir),
    );
    try {
      const keelHold = await holdStreams(keel, sim, options);
      for (const [name, hold] of [['bare proxy', floor], ['Keel', keelHold]] as const) {
        if (hold.failed > 0) notes.push(`${name}: failed streams ${JSON.stringify(hold.failures)}`);
      }
      return { requested: n, holdS: options.streamsHoldS, tokenDelayMs: options.slowTokenDelayMs, maxConnections, keel: keelHold, bare: floor, notes };
    } finally {
      await keel.stop();
    }
  } finally {
    await sim.stop();
  }
}
