/**
 * The "everything on" variants of `npm run bench:compare -- --variants …`: the same one-deployment route
 * with one production feature switched on, measured against the plain route in the same interleaved run.
 * - `telemetry`: tracing to an OTLP/HTTP sink on loopback (this process, answering 200 to every export)
 *   and a Prometheus scrape of `/metrics` every second (far more often than any real scraper).
 * - `telemetry-sampled`: the same with `telemetry.trace_success_ratio: 0.1` (eventful requests all traced).
 * - `keys`: 1,000 virtual keys in the config with per-minute request and token limits and a daily budget,
 *   every request carrying one of them in turn, so authentication, limits and spend are on the path.
 * - `redis`: the same 1,000 keys with `cluster.redis_url` set, so limits, spend, breaker openings and
 *   attempt outcomes are shared through Redis (127.0.0.1:6379, as the README's set-up starts it). Its
 *   base is `keys` (the same keys, counted in memory), so the row reads what sharing the state costs;
 *   `keys+redis` is the same against the plain route, both features together.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BENCH_KEY_COUNT, benchConfigKeys } from './bench-keys.js';
import type { KeelBenchConfig } from './keel-process.js';

export type VariantName = 'telemetry' | 'telemetry-sampled' | 'keys' | 'redis' | 'keys+redis';
export const VARIANTS: readonly VariantName[] = ['telemetry', 'telemetry-sampled', 'keys', 'redis', 'keys+redis'];

/** A `--variants` list (comma-separated; "none" for no variant), each name checked. */
export function parseVariantList(raw: string): VariantName[] {
  const names = raw === 'none' ? [] : raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) if (!(VARIANTS as readonly string[]).includes(n)) throw new Error(`--variants: unknown variant "${n}" (expected ${VARIANTS.join(', ')} or none)`);
  return names as VariantName[];
}

/** What a variant is measured against: the plain route, unless it adds to another variant. */
export const VARIANT_BASE: Partial<Record<VariantName, VariantName>> = { redis: 'keys' };

const SAMPLED_RATIO = 0.1;
const SCRAPE_EVERY_MS = 1_000;
const REDIS_URL = process.env['KEEL_BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface RunningVariant {
  config: KeelBenchConfig;
  /** Headers for each request in turn (one per key), or undefined for the plain anonymous request. */
  requestHeaders: Array<Record<string, string>> | undefined;
  /** Starts whatever runs beside Keel once its URL is known (the scraper). */
  attach(keelUrl: string): void;
  notes(): string[];
  stop(): Promise<void>;
}

/**
 * An OTLP/HTTP collector that accepts everything: what it costs Keel to export, not a collector's speed.
 * It answers as OTLP/HTTP says a collector must, in the request's own encoding: an empty
 * `ExportTraceServiceResponse` (no bytes) to protobuf, `{}` to JSON.
 */
async function startOtlpSink(): Promise<{ url: string; exports: () => number; close: () => Promise<void> }> {
  let exports = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports += 1;
      if (req.headers['content-type'] === 'application/x-protobuf') res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, exports: () => exports, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export async function startVariant(name: VariantName, base: KeelBenchConfig): Promise<RunningVariant> {
  if (name === 'telemetry' || name === 'telemetry-sampled') {
    const sink = await startOtlpSink();
    let scrapes = 0;
    let timer: NodeJS.Timeout | undefined;
    return {
      config: { ...base, telemetry: { metrics: true, otlp_endpoint: sink.url, ...(name === 'telemetry-sampled' ? { trace_success_ratio: SAMPLED_RATIO } : {}) } },
      requestHeaders: undefined,
      attach(keelUrl) {
        timer = setInterval(() => {
          void fetch(`${keelUrl}/metrics`).then(async (res) => {
            await res.arrayBuffer();
            if (res.ok) scrapes += 1;
          }, () => undefined);
        }, SCRAPE_EVERY_MS);
      },
      notes: () => [`${name}: ${scrapes} scrapes of /metrics, ${sink.exports()} OTLP exports received`],
      async stop() {
        clearInterval(timer);
        await sink.close();
      },
    };
  }
  const keys = benchConfigKeys();
  const requestHeaders = keys.map((k) => ({ authorization: `Bearer ${k.key}` }));
  const config: KeelBenchConfig = { ...base, keys };
  const shared = name === 'redis' || name === 'keys+redis';
  if (shared) config.cluster = { redis_url: REDIS_URL };
  return { config, requestHeaders, attach: () => undefined, notes: () => [`${name}: ${BENCH_KEY_COUNT} keys used in turn${shared ? `, state shared through ${REDIS_URL}` : ''}`], stop: async () => undefined };
}
