/**
 * Renders a benchmark result as Markdown (targets first, then the side-by-side table, time to first byte,
 * memory, the dead primary, many streams, and CPU profiles when asked for) and writes it to
 * bench/results/ with the JSON: `latest.md` + `latest.json` for a full default run (`latest-quick.*` for
 * --quick, `latest-custom.*` for experiments) and a timestamped JSON that is never overwritten.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_VARIANTS, SCENARIOS } from './options.js';
import { round3 } from './latency.js';
import { medianOfRest, ratiosOf } from './interleave.js';
import { median } from './stats.js';
import type { BenchResult, CellResult, ScenarioResult, StreamHold } from './results.js';

/** Mean "other CPU" above which a run is flagged as shared with other work (tick resolution is ±5 %). */
const NOISY_OTHER_CPU_PCT = 20;

function fmt(n: number | undefined, digits = 3): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  return String(Math.round(n * 10 ** digits) / 10 ** digits);
}

function signed(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  return `${n >= 0 ? '+' : ''}${fmt(n)}`;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function cellRow(s: ScenarioResult, c: CellResult): string[] {
  return [
    s.label,
    c.mode,
    String(c.connections),
    String(c.rps),
    fmt(c.latency.p50Ms),
    fmt(c.latency.p99Ms),
    signed(c.addedMs?.p50),
    signed(c.addedMs?.p99),
    c.proxy === undefined ? '—' : String(c.proxy.cpuUsPerRequest),
    c.proxy === undefined ? '—' : `${c.proxy.cpuPct}%`,
    c.proxy === undefined ? '—' : fmt(c.proxy.peakRssMb, 1),
    String(c.upstream.cpuUsPerRequest),
    `${c.loadGenCpuPct}%`,
    `${c.otherCpuPct}%`,
    c.errors === 0 ? '0' : `${c.errors} (${Object.entries(c.errorKinds).map(([k, n]) => `${k}: ${n}`).join(', ')})`,
  ];
}

export function renderMarkdown(r: BenchResult): string {
  const m = r.machine;
  const o = r.settings;
  const out: string[] = [];
  out.push(`# Keel benchmark — ${r.startedAt}${o.quick ? ' (quick)' : ''}`, '');
  out.push(
    `**Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB (${m.freeMemoryGb} GB free); Node ${m.node}; ${m.platform}; ` +
      `load average at start ${m.loadAverageAtStart.join(' / ')}. **Code:** commit ${m.gitCommit}` +
      `${m.srcUncommittedFiles > 0 ? ` with ${m.srcUncommittedFiles} uncommitted file(s) under src/` : ''}.`,
    '',
    `**Settings:** ${o.durationS} s per cell after ${o.warmupS} s warm-up per scenario and mode; connections ${o.connections.join(' and ')}; ` +
      `${o.ttfbCount} sequential streams for TTFB; ${o.streams} open streams held ${o.streamsHoldS} s at ${o.slowTokenDelayMs} ms/token; ` +
      `Keel server settings ${JSON.stringify(o.keelServer)} — log level warn, so the per-request access log (info) is not part of the measurement.` +
      `${o.profile ? ' **Profiling was on: the numbers carry --cpu-prof overhead.**' : ''}`,
    '',
    ...(o.keelDist === undefined && o.keelNodeFlags.length === 0
      ? []
      : [`**Keel build under test:** ${o.keelDist ?? 'dist/'}${o.keelNodeFlags.length > 0 ? `, node flags ${o.keelNodeFlags.join(' ')}` : ''} (not the default launch).`, '']),
    `**Topology:** ${o.topology}`,
    '',
    `Run took ${r.elapsedS} s.`,
    '',
  );

  const cells = r.scenarios.flatMap((s) => s.cells);
  const otherPct = cells.length === 0 ? 0 : Math.round(cells.reduce((sum, c) => sum + c.otherCpuPct, 0) / cells.length);
  if (otherPct >= NOISY_OTHER_CPU_PCT) {
    out.push(
      `> **Shared machine:** other processes used on average ${otherPct} % of a core during the measured cells (column "other CPU"). ` +
        'Requests/s and latencies are noisy in this run; CPU µs per request, a property of each process, is the figure to compare.',
      '',
    );
  }

  out.push('## Targets', '');
  out.push(table(['target', 'measured', 'threshold', 'result'], r.targets.map((t) => [t.target, t.measured, t.threshold, t.pass ? 'pass' : '**MISS**'])), '');

  out.push('## Throughput and latency', '');
  out.push(
    'Latency is per whole response (a stream: until `[DONE]`), exact to the microsecond; "+ vs direct" is the same cell of (a) subtracted. ' +
      'CPU is user + system time of the middle process (all threads) per complete answer, and its use in % of one core; RSS is the peak sampled in the cell. ' +
      '"sim CPU" is the simulator\'s own CPU per answer, for comparison; "load gen CPU" is the bench process (autocannon): near 100 % it, not the server, sets the pace. ' +
      '"other CPU" is what the rest of the machine used meanwhile (other users\' builds and tests): large values mean the row is noisy.',
    '',
  );
  const rows = r.scenarios.flatMap((s) => s.cells.map((c) => cellRow(s, c)));
  out.push(table(['scenario', 'mode', 'conns', 'req/s', 'p50 ms', 'p99 ms', '+p50 vs direct', '+p99 vs direct', 'CPU µs/req', 'CPU', 'peak RSS MB', 'sim CPU µs/req', 'load gen CPU', 'other CPU', 'errors'], rows), '');

  const ttfbRows = r.scenarios.flatMap((s) =>
    s.ttfb === undefined
      ? []
      : [[s.label, fmt(s.ttfb.ttfb.p50Ms), fmt(s.ttfb.ttfb.p99Ms), signed(s.ttfb.addedTtfbMs?.p50), signed(s.ttfb.addedTtfbMs?.p99), fmt(s.ttfb.total.p50Ms), fmt(s.ttfb.total.p99Ms), String(s.ttfb.errors)]],
  );
  if (ttfbRows.length > 0) {
    out.push('## Streaming: time to first byte', '', `One connection, ${o.ttfbCount} streamed requests one after another (after 50 unrecorded), timed from sending to the first body chunk.`, '');
    out.push(table(['scenario', 'TTFB p50 ms', 'TTFB p99 ms', '+p50 vs direct', '+p99 vs direct', 'whole stream p50 ms', 'whole stream p99 ms', 'errors'], ttfbRows), '');
  }

  out.push('## Memory of the middle process', '');
  out.push(table(['scenario', 'idle RSS MB', 'peak RSS MB (VmHWM)'], r.scenarios.filter((s) => s.name !== 'direct').map((s) => [s.label, fmt(s.idleRssMb, 1), fmt(s.peakRssMb, 1)])), '');

  const failover = r.scenarios.find((s) => s.name === 'keel-failover');
  if (failover !== undefined) {
    out.push('## Failover: what the dead primary saw', '');
    out.push(...failover.notes.map((n) => `- ${n}`));
    out.push(
      '- Attempts on the primary are counted from Keel\'s `x-keel-attempts` header (each is one refused connect); the breaker may let one probe through per open period (base 30 s − 10 % jitter, doubling after each failed probe).',
      '',
    );
    out.push(table(['mode', 'conns', 'answers', 'attempts on the dead primary', 'probes allowed', 'answered by'], failover.cells.map((c) => [c.mode, String(c.connections), String(c.ok), String(c.primaryAttempts ?? '—'), String(c.probesAllowed ?? '—'), Object.entries(c.byDeployment).map(([d, n]) => `${d}: ${n}`).join(', ')])), '');
  }

  const ms = r.manyStreams;
  if (ms !== undefined) {
    out.push('## Many open streams', '');
    out.push(`${ms.requested} clients each hold a streamed answer open (one token every ${ms.tokenDelayMs} ms), first through the bare proxy, then through Keel; memory is sampled from the first stream to the end of a ${ms.holdS} s hold, then every client leaves at once.`, '');
    const row = (label: string, h: StreamHold): string[] => [label, String(h.open), String(h.failed), String(h.upstreamActive), String(h.upstreamLeftOpen), fmt(h.rampS, 1), fmt(h.idleRssMb, 1), fmt(h.peakRssMb, 1), fmt(h.hwmMb, 1), fmt(h.rssPerStreamKb, 0), `${h.cpuPctDuringHold}%`];
    out.push(
      table(
        ['through', 'open', 'failed', 'upstream active during hold', 'upstream left open after clients left', 'ramp s', 'idle RSS MB', 'peak RSS MB', 'VmHWM MB', 'RSS per stream KB', 'CPU during hold'],
        [row('bare proxy', ms.bare), row('Keel', ms.keel)],
      ),
      '',
      ...ms.notes.map((n) => `- ${n}`),
      '',
    );
  }

  const ft = r.floorTurns;
  if (ft !== undefined) {
    out.push('## Keel and the bare proxy in turns', '');
    out.push(
      `The bare proxy and Keel (one deployment) run side by side against one simulator and take turns: ${ft.rounds} rounds of ${ft.burstS} s bursts at ${ft.connections} connections, ` +
        'alternating which goes first, so both see the same drift of the machine. The throughput targets read the median of the per-round ratios. ' +
        "A third Keel, the failover route with its dead primary's breaker open, takes a turn in each round: the breaker targets read its median ratio to the healthy Keel.",
      '',
    );
    const w = ft.failoverWarmup;
    if (w !== undefined) out.push(`Its breaker warm-up: ${w.requests} requests in ${(w.elapsedMs / 1000).toFixed(1)} s, ${w.primaryAttempts} refused attempts on the primary; breaker ${w.open ? 'open' : 'NOT open'} before the rounds.`, '');
    const each = (xs: number[]): string => xs.join(' ');
    out.push(
      table(
        ['mode', 'bare req/s per round', 'Keel req/s per round', 'Keel ÷ bare req/s (median)', 'bare CPU µs/answer per round', 'Keel CPU µs/answer per round', 'bare ÷ Keel CPU (median)', 'breaker-open Keel req/s per round', 'breaker open ÷ Keel req/s (median)'],
        ft.rows.map((row) => [row.mode, each(row.bareRps), each(row.keelRps), fmt(row.rpsRatio, 2), each(row.bareUs), each(row.keelUs), fmt(row.cpuRatio, 2), each(row.failoverRps), fmt(row.failoverRatio, 2)]),
      ),
      '',
    );
    const section = (text: string, headers: string[], rows: string[][]): void => void out.push(text, '', table(headers, rows), '');
    section(
      "A leaner pass-through took its turn in the same rounds: the bare proxy without `pipeline` or an `AbortController` (its chunks written as they come, backpressure by hand, the upstream body destroyed when the client leaves). Node's `pipeline` aborts a controller of its own when it finishes, which makes a `DOMException` per request. It is shown beside the floor the targets read, not as a target.",
      ['mode', 'lean req/s per round', 'lean CPU µs/answer per round', 'lean ÷ bare CPU (median)', 'lean ÷ Keel CPU (median)', 'lean main thread µs (median)'],
      ft.rows.map((row) => [row.mode, each(row.leanRps), each(row.leanUs), fmt(median(ratiosOf(row.leanUs, row.bareUs)), 2), fmt(median(ratiosOf(row.leanUs, row.keelUs)), 2), String(median(row.leanMainUs))]),
    );
    section(
      "Where that CPU goes, per thread (medians of the rounds, µs per answer): the main thread runs all JavaScript and the event loop; the other threads are V8's (garbage collection, optimizing compilation) and libuv's pool.",
      ['mode', 'bare main thread', 'Keel main thread', 'bare other threads', 'Keel other threads'],
      ft.rows.map((row) => [row.mode, String(median(row.bareMainUs)), String(median(row.keelMainUs)), String(medianOfRest(row.bareUs, row.bareMainUs)), String(medianOfRest(row.keelUs, row.keelMainUs))]),
    );
    for (const row of ft.latency ?? []) {
      out.push(
        `Then at one connection (${row.mode}), in turns: the simulator directly, the bare proxy and Keel, ${row.rounds} rounds of ${row.burstS} s bursts, the order alternating. ` +
          "The one-connection latency targets read the median of the rounds' Keel less the simulator, p50 and p99.",
        '',
        table(
          ['target', 'p50 ms per round', 'p99 ms per round', '+p50 vs direct (median)', '+p99 vs direct (median)'],
          [
            ['direct', each(row.direct.p50), each(row.direct.p99), '—', '—'],
            ['bare', each(row.bare.p50), each(row.bare.p99), signed(row.bareAdded.p50), signed(row.bareAdded.p99)],
            ['keel', each(row.keel.p50), each(row.keel.p99), signed(row.keelAdded.p50), signed(row.keelAdded.p99)],
          ],
        ),
        '',
      );
    }
    if (ft.ttfb !== undefined) {
      const direct = ft.ttfb.targets.find((t) => t.name === 'direct')?.first.p50Ms ?? Number.NaN;
      out.push(
        `Then streaming time to first byte, in turns: the simulator directly, the bare proxy and Keel, each on its own keep-alive connection, ${ft.ttfb.rounds} rounds of ${ft.ttfb.perRound} streams each (after 50 unrecorded), the order rotating each round. The TTFB target reads Keel's p50 here less the simulator's.`,
        '',
        table(
          ['target', 'TTFB p50 ms', 'TTFB p99 ms', '+p50 vs direct', 'whole stream p50 ms', 'streams', 'errors'],
          ft.ttfb.targets.map((t) => [t.name, fmt(t.first.p50Ms), fmt(t.first.p99Ms), t.name === 'direct' ? '—' : signed(round3(t.first.p50Ms - direct)), fmt(t.total.p50Ms), String(t.first.count), String(t.errors)]),
        ),
        '',
      );
    }
  }

  const fc = r.featureCosts;
  if (fc !== undefined) {
    out.push('## Feature costs', '');
    out.push(
      `Each feature on against the same build without it (redis: against the same keys counted in memory): two Keels take turns, ${fc.rounds} rounds of ${fc.burstS} s bursts at ${fc.connections} connections, ` +
        'alternating which goes first; CPU of each Keel process from /proc ÷ complete answers. The ratio is the median of the per-round ratios; the throughput a saturated machine loses to the feature is 1 − 1 / ratio.',
      '',
    );
    out.push(table(['feature', 'mode', 'off µs (median)', 'on µs (median)', 'on ÷ off (median)', 'throughput lost', 'per-round ratios', 'main thread only: off / on µs (median)'], fc.rows.map((c) => [c.label, c.mode, String(c.baseUs), String(c.thisUs), fmt(c.ratio, 2), `${fmt(c.throughputLost * 100, 1)} %`, c.ratios.map((x) => fmt(x, 2)).join(' '), `${c.baseMainUs} / ${c.thisMainUs}`])), '');
    out.push(...fc.notes.map((n) => `- ${n}`), '');
  }

  const failed = r.scenarios.filter((s) => s.error !== undefined);
  const failedFeatures = Object.entries(fc?.errors ?? {});
  if (failed.length > 0 || r.manyStreamsError !== undefined || r.floorTurnsError !== undefined || failedFeatures.length > 0) {
    out.push('## Errors', '', ...failed.map((s) => `- ${s.label}: ${s.error ?? ''}`));
    if (r.manyStreamsError !== undefined) out.push(`- many streams: ${r.manyStreamsError}`);
    if (r.floorTurnsError !== undefined) out.push(`- Keel and the bare proxy in turns: ${r.floorTurnsError}`);
    for (const [name, message] of failedFeatures) out.push(`- feature cost ${name}: ${message}`);
    out.push('');
  }

  const configs = r.scenarios.filter((s) => s.configYaml !== undefined);
  if (configs.length > 0) {
    out.push('## Keel configurations', '');
    for (const s of configs) out.push(`${s.label}:`, '', '```yaml', (s.configYaml ?? '').trimEnd(), '```', '');
  }

  for (const p of r.profiles) {
    out.push(`## CPU profile: ${p.file}`, '', `${p.busyMs} ms of non-idle samples.`, '');
    out.push(table(['function', 'where', 'self ms', 'self %'], p.top.map((f) => [f.name, f.where, fmt(f.selfMs, 1), `${fmt(f.selfPct, 1)}%`])), '');
    out.push(table(['file', 'self ms', 'self %'], p.byFile.map((f) => [f.file, fmt(f.selfMs, 1), `${fmt(f.selfPct, 1)}%`])), '');
  }
  return out.join('\n');
}

export function writeResults(dir: string, result: BenchResult, markdown: string): string[] {
  mkdirSync(dir, { recursive: true });
  const o = result.settings;
  // Only a full default run is "latest"; smoke runs and experiments (another build, node flags, a
  // subset, profiling) are kept apart so they never replace the reference numbers.
  const custom = o.scenarios.length !== SCENARIOS.length || o.variants.join(',') !== DEFAULT_VARIANTS.join(',') || o.keelDist !== undefined || o.keelNodeFlags.length > 0 || o.profile;
  const kind = o.quick ? 'quick' : custom ? 'custom' : '';
  const base = kind === '' ? 'latest' : `latest-${kind}`;
  const stamp = result.startedAt.replace(/[:.]/g, '-') + (kind === '' ? '' : `-${kind}`);
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const files = [join(dir, `${base}.md`), join(dir, `${base}.json`), join(dir, `${stamp}.json`)];
  writeFileSync(files[0]!, `${markdown}\n`);
  writeFileSync(files[1]!, json);
  writeFileSync(files[2]!, json);
  return files;
}
