/**
 * `npm run bench:heap`: what one open stream costs Keel's heap, object by object. A real Keel process
 * (the build in dist/, as users run it) holds N streamed answers from a slow simulator; a heap snapshot is
 * taken before the streams open and another while all N are open, and the difference, divided by N, is
 * printed per constructor (count and bytes per stream), largest first. The snapshots are taken by Keel's
 * own `--heapsnapshot-signal`, so nothing in Keel changes for the measurement.
 *
 *   npm run bench:heap -- [--streams 1000] [--top 30] [--messages N] [--keep]   (--keep leaves the .heapsnapshot files;
 *   --messages N sends a conversation of N turns of about 1 KB each, a realistic prompt, instead of one question)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { BENCH_API_KEY } from './failover.js';
import { startKeelProcess } from './keel-process.js';
import { CHAT_PATH, requestBody, REQUEST_HEADERS, UPSTREAM_MODEL } from './requests.js';
import { startSimulatorProcess } from './simulator-process.js';

interface Tally {
  count: number;
  bytes: number;
}


function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

/** Self sizes and counts per node kind (`object Foo`, `closure bar`, `string`...) in a V8 heap snapshot. */
function tally(file: string): Map<string, Tally> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const types = snap.snapshot.meta.node_types[0];
  const out = new Map<string, Tally>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    // Objects and closures by their constructor or function name; strings, arrays and code by kind only.
    const named = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden';
    const key = named ? `${type} ${snap.strings[snap.nodes[i + nameAt]!]!.slice(0, 60)}` : type;
    const t = out.get(key) ?? { count: 0, bytes: 0 };
    t.count++;
    t.bytes += snap.nodes[i + sizeAt]!;
    out.set(key, t);
  }
  return out;
}

function endsJson(path: string): boolean {
  const text = readFileSync(path);
  return text.length > 0 && text.subarray(-16).toString('utf8').trimEnd().endsWith('}');
}

async function snapshot(pid: number, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')));
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 120_000; waited += 250) {
    await sleep(250);
    const fresh = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (fresh === undefined) continue;
    // Written when it ends its JSON and its size stops changing.
    const path = join(dir, fresh);
    let size = -1;
    while (size !== statSync(path).size || !endsJson(path)) {
      size = statSync(path).size;
      await sleep(1_000);
    }
    return path;
  }
  throw new Error('no heap snapshot was written within 2 minutes');
}

async function main(): Promise<void> {
  const n = arg('streams', 1000);
  const top = arg('top', 30);
  const turns = arg('messages', 0);
  const sim = await startSimulatorProcess('slow simulator', { tokenDelayMs: 1_000, models: [{ name: UPSTREAM_MODEL, reply: 'Keel keeps answering while a provider is down. '.repeat(200) }] });
  const max = n + 64;
  const dir = mkdtempSync(join(tmpdir(), 'keel-heap-'));
  const keel = await startKeelProcess(
    'keel-heap',
    {
      deployments: [{ id: 'slow', provider: 'openai', model: UPSTREAM_MODEL, base_url: `${sim.url}/v1`, api_key: BENCH_API_KEY, max_connections: max }],
      routes: { bench: { deployments: ['slow'] } },
      resilience: { concurrency: { initial: max, max }, admission: { max_concurrent: max } },
    },
    { nodeFlags: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] },
  );
  const pool = new Pool(keel.url, { connections: n + 8, pipelining: 1, bodyTimeout: 600_000, headersTimeout: 600_000 });
  const clients: AbortController[] = [];
  try {
    const open = async (count: number): Promise<void> => {
      let first = 0;
      await new Promise<void>((resolve) => {
        for (let i = 0; i < count; i++) {
          const client = new AbortController();
          clients.push(client);
          void pool
            .request({ method: 'POST', path: CHAT_PATH, headers: REQUEST_HEADERS, body: requestBody('stream', undefined, turns), signal: client.signal })
            .then((res) => {
              res.body.on('error', () => undefined);
              res.body.once('data', () => {
                if (++first === count) resolve();
              });
            })
            .catch(() => undefined);
        }
      });
    };
    // Warm up (pools, JIT, lazily loaded modules), let go, then the baseline.
    await open(50);
    for (const c of clients.splice(0)) c.abort();
    await sleep(3_000);
    const pid = keel.child.pid;
    const baseFile = await snapshot(pid, dir);
    await open(n);
    await sleep(2_000);
    const heldFile = await snapshot(pid, dir);
    const base = tally(baseFile);
    const held = tally(heldFile);
    const rows = [...held]
      .map(([key, t]) => ({ key, count: (t.count - (base.get(key)?.count ?? 0)) / n, bytes: (t.bytes - (base.get(key)?.bytes ?? 0)) / n }))
      .filter((r) => r.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes);
    const total = rows.reduce((s, r) => s + r.bytes, 0);
    console.log(`Heap per open stream, ${n} streams: ${Math.round(total)} bytes (sum of positive differences)\n`);
    console.log('bytes/stream  objects/stream  kind');
    for (const r of rows.slice(0, top)) console.log(`${Math.round(r.bytes).toString().padStart(12)}  ${r.count.toFixed(2).padStart(14)}  ${r.key}`);
    if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
    else console.log(`\nsnapshots: ${baseFile} ${heldFile}`);
  } finally {
    for (const c of clients) c.abort();
    await pool.destroy();
    await keel.stop();
    await sim.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
