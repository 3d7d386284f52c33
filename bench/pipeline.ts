/**
 * `npm run bench:pipeline`: Keel's own cost per request, without sockets. The HTTP cells of `npm run bench`
 * cannot tell Keel's work apart from node:http's and undici's, and a shared 2-core machine drifts by ±30%
 * between runs; here the whole request path runs in one process (`handleApiRequest`: endpoint, body
 * checks, parse, router, attempt bookkeeping, commit, the client's frames) with the upstream exchange
 * replaced by the simulator's own answer, read by the real stream reader and OpenAI decoder. It prints CPU per request
 * and, with `--heap`, the bytes allocated per request by function (V8's sampling heap profiler, counting
 * objects already collected): garbage is what the HTTP cells pay for as GC.
 *
 *   npm run bench:pipeline                      # stream and JSON, 50,000 requests each
 *   npm run bench:pipeline -- --heap            # and where the allocations come from
 *   npm run bench:pipeline -- --requests 20000 --mode stream
 *   npm run bench:pipeline -- --messages 40   # a 42 KB conversation: what each KB of a prompt costs
 *   npm run bench:pipeline -- --keys          # 1,000 virtual keys, one per request in turn (the gate on the path)
 *   npm run bench:pipeline -- --hedged        # a route with a second deployment: each request arms a hedge race (none fires)
 */
import { Session } from 'node:inspector/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { handleApiRequest } from '../src/api/handle-request.js';
import { parseConfig } from '../src/config/load-config.js';
import { resolveConfig } from '../src/config/resolve-config.js';
import type { AttemptInput, AttemptResult } from '../src/providers/index.js';
import { readSseItems } from '../src/providers/http/sse-items.js';
import { OpenAIProvider } from '../src/providers/openai/openai-provider.js';
import { OpenAIStreamDecoder } from '../src/providers/openai/openai-stream-decoder.js';
import { decodeOpenAIResponse } from '../src/providers/openai/decode-openai-response.js';
import { readOpenAIChatResponse } from '../src/providers/openai/openai-wire-check.js';
import { Abortable } from '../src/resilience/index.js';
import { Router } from '../src/router/router.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import { BENCH_KEY_COUNT, benchKeyGate, benchKeySecret } from './bench-keys.js';
import { CHAT_PATH, CLIENT_MODEL, MODES, requestBody, UPSTREAM_MODEL, type Mode } from './requests.js';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '50000' }, mode: { type: 'string' }, heap: { type: 'boolean', default: false }, messages: { type: 'string' }, keys: { type: 'boolean', default: false }, hedged: { type: 'boolean', default: false } },
});
/** `--messages N`: a conversation of N turns of about 1 KB each instead of one short question (per-KB costs). */
const turns = Number(values.messages ?? 0);
const requests = Number(values.requests);
const modes = values.mode === undefined ? MODES : [values.mode as Mode];

/** What the simulator answers in its fastest mode (`tokenDelayMs: 0`) to a stream that asks for usage: the bench's upstream. */
const WORDS = ['Hello', ' from', ' sim-1.', ' You', ' said:', ' Hello,', ' Keel'];
const HEAD = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1796357597, model: UPSTREAM_MODEL, service_tier: 'default', system_fingerprint: 'fp_keelsim' };
const chunk = (delta: object, finish: string | null): string => JSON.stringify({ ...HEAD, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
const USAGE_CHUNK = JSON.stringify({ ...HEAD, choices: [], usage: { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 } });
const CHUNKS = [...WORDS.map((text, i) => chunk(i === 0 ? { role: 'assistant', content: text } : { content: text }, null)), chunk({}, 'stop'), USAGE_CHUNK, '[DONE]'];
const ANSWER = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1796357597,
    model: UPSTREAM_MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join(''), refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 7, total_tokens: 10 },
  }),
);

/** The simulator's stream body: every event (and the terminator) in one SSE text, as one read brings it. */
const STREAM_BODY = Buffer.from(CHUNKS.map((data) => `data: ${data}\n\n`).join(''));

/**
 * The exchange replaced: the upstream's stream body read by the real reader (`readSseItems`, the real
 * OpenAI decoder) from a Readable holding it, as undici hands it over; or its JSON answer read and checked.
 * Not an async generator: the reader is a class, and a generator here cost the bench twice Keel's own
 * stream work in GC (its objects survived scavenges), which the HTTP cells never saw.
 */
function stubbedSend(input: AttemptInput): Promise<AttemptResult> {
  if (!input.request.stream) {
    const response = decodeOpenAIResponse(readOpenAIChatResponse(JSON.parse(ANSWER.toString('utf8')))!, 1796357597);
    return Promise.resolve({ kind: 'json', response, raw: ANSWER });
  }
  const body = new Readable({ read() {} });
  body.push(STREAM_BODY);
  body.push(null);
  const items = readSseItems(body, { idleMs: 30_000, signal: input.signal }, new OpenAIStreamDecoder(1, input.request.streamUsage)); // as the provider reads a pass-through: the usage chunk forwarded when the client asked for it
  return Promise.resolve({ kind: 'stream', items });
}
OpenAIProvider.prototype.send = stubbedSend;

/**
 * `--hedged`: the route has a second deployment, as a route that fails over does. Hedging is on by default,
 * so each request runs as a hedge race that waits for its first attempt to go overdue (none does here).
 */
const deploymentIds = values.hedged === true ? ['sim', 'sim-2'] : ['sim'];
const config = resolveConfig(
  parseConfig(
    {
      deployments: deploymentIds.map((id) => ({ id, provider: 'openai' as const, model: UPSTREAM_MODEL, base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-bench-not-a-real-key' })),
      routes: { bench: { deployments: deploymentIds } },
    },
    'pipeline',
    {},
  ),
  { source: 'pipeline' },
);
const router = new Router(config);
// Metrics are on by default in `keel serve`, so they are on here.
const metrics = createMetrics(router, { deployments: config.deployments.keys() });

/**
 * `--keys`: the virtual-key gate as `keel serve` builds it (the keys from the config file, counters in
 * memory, spend to a ledger whose store keeps nothing), with the bench's 1,000 keys used in turn.
 */
const keySecrets = Array.from({ length: BENCH_KEY_COUNT }, (_, i) => benchKeySecret(i));
const gate = values.keys === true ? benchKeyGate() : undefined;
let requestNumber = 0;

async function oneRequest(body: Buffer): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (gate !== undefined) headers['authorization'] = `Bearer ${keySecrets[requestNumber++ % BENCH_KEY_COUNT]!}`; // a fresh string, as node:http gives
  const handled = await handleApiRequest(
    { method: 'POST', path: CHAT_PATH, headers, requestId: 'req_bench', signal: new Abortable(), trail: {}, readBody: () => Promise.resolve(body) },
    router,
    gate === undefined ? {} : { gate },
  );
  const answer = handled.answer;
  if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${String(answer.body)}`);
  if (typeof answer.body !== 'string' && !Buffer.isBuffer(answer.body)) for await (const frame of answer.body) void frame;
  answer.sent?.(); // as the gateway does once it has written the answer
}

async function allocationsPerRequest(body: Buffer, count: number): Promise<{ bytes: number; top: [string, number][] }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  // Sampling every 256 bytes, counting objects that GC has already collected: the garbage is the point.
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  for (let i = 0; i < count; i++) await oneRequest(body);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (node: typeof profile.head): void => {
    const frame = node.callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(src|node_modules)\//, '$1/')}`;
    if (node.selfSize > 0) byFunction.set(name, (byFunction.get(name) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return { bytes: total / count, top: [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([name, bytes]) => [name, bytes / count]) };
}

for (const mode of modes) {
  const body = Buffer.from(requestBody(mode, CLIENT_MODEL, turns));
  for (let i = 0; i < Math.min(20_000, requests); i++) await oneRequest(body); // JIT and norms warm
  const startCpu = process.cpuUsage();
  const startNs = process.hrtime.bigint();
  for (let i = 0; i < requests; i++) await oneRequest(body);
  const cpu = process.cpuUsage(startCpu);
  const wallUs = Number(process.hrtime.bigint() - startNs) / 1000 / requests;
  console.log(`${mode}: ${((cpu.user + cpu.system) / requests).toFixed(1)} µs CPU per request (${wallUs.toFixed(1)} µs wall, ${requests} requests of ${body.length} bytes, one at a time${values.hedged === true ? ', on a route with a second deployment' : ''})`);
  if (values.heap === true) {
    const { bytes, top } = await allocationsPerRequest(body, Math.min(5_000, requests));
    console.log(`  allocated per request: ${(bytes / 1024).toFixed(1)} KB (sampled), by function:`);
    for (const [name, perRequest] of top) console.log(`  ${String(Math.round(perRequest)).padStart(7)} B  ${name}`);
  }
}
metrics.close();
router.stop();
