/**
 * Tracing against a real Keel and a loopback OTLP/HTTP sink: one failed-over request must arrive as a
 * SERVER span with CLIENT children for each attempt, with the router's times, parent ids, GenAI
 * attributes and error statuses, and the provider key must appear nowhere in what was exported.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../server/start-keel.js';
import { createLogger } from './logger.js';
import { createTracing, tracesUrl, type Tracing } from './tracing.js';
import type { AttemptRecord, RequestRecord } from '../router/router-types.js';
import { decodeTraceExport, type OtlpSpan } from '../../test/support/otlp-trace-decoder.js';

const SECRET = 'sk-test-SECRET-1234567890';

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const STATUS_ERROR = 2;

function attrs(list: OtlpSpan['attributes']): Record<string, string | number | boolean | undefined> {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const { key, value } of list) out[key] = value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ?? value.boolValue ?? value.doubleValue;
  return out;
}

describe('createTracing', () => {
  let keel: RunningKeel;
  let sink: Server;
  let sinkUrl: string;
  /** Each export as the collector read it, and its raw text (to search for what must never be there). */
  const exports: { request: ReturnType<typeof decodeTraceExport>; raw: string; contentType: string | undefined }[] = [];
  const paths: string[] = [];

  beforeAll(async () => {
    sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        paths.push(`${req.method} ${req.url} ${req.headers['content-type']} ${req.headers['x-collector-token']}`);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        exports.push({ request: decodeTraceExport(body, req.headers['content-type']), raw: body.toString('latin1'), contentType: req.headers['content-type'] });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    keel = await startKeel({
      port: 0,
      logger: createLogger('silent', new Writable({ write: (_c, _e, done) => done() })),
      config: {
        simulator: { token_delay_ms: 0 },
        deployments: [
          { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true, api_key: SECRET },
          { id: 'fallback', provider: 'anthropic', model: 'sim-fallback', simulated: true },
        ],
        routes: { smart: { deployments: ['primary', 'fallback'], retry: { backoff_base_ms: 5, backoff_cap_ms: 20 } } },
      },
    });
  });
  afterAll(async () => {
    await keel.stop();
    await new Promise((resolve) => sink.close(resolve));
  });

  it('is a no-op that subscribes to nothing without an endpoint', async () => {
    const router = keel.gateway.router;
    const on = router.events.on.bind(router.events);
    let subscribed = 0;
    router.events.on = ((...args: Parameters<typeof on>) => {
      subscribed += 1;
      return on(...args);
    }) as typeof router.events.on;
    try {
      const tracing = createTracing(router, {});
      expect(tracing.enabled).toBe(false);
      expect(createTracing(router, { otlpEndpoint: ' ' }).enabled).toBe(false);
      await tracing.shutdown();
    } finally {
      router.events.on = on;
    }
    expect(subscribed).toBe(0);
  });

  it('appends the OTLP traces path to a base endpoint', () => {
    expect(tracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl('http://collector:4318/')).toBe('http://collector:4318/v1/traces');
    expect(tracesUrl('http://collector:4318/v1/traces')).toBe('http://collector:4318/v1/traces');
  });

  it('exports a request span with a child per attempt, and no secret', async () => {
    const tracing: Tracing = createTracing(keel.gateway.router, { otlpEndpoint: sinkUrl, serviceName: 'keel-test', headers: { 'x-collector-token': 't0k' } });
    keel.simulator!.setFault('sim-primary', { type: 'error', status: 503 });
    const res = await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-1' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'a private prompt' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    keel.simulator!.clearFaults();
    await tracing.shutdown(); // flushes

    expect(paths.length).toBeGreaterThan(0);
    expect(paths[0]).toBe('POST /v1/traces application/x-protobuf t0k'); // OTLP's default encoding
    const payload = exports.map((e) => e.raw).join('\n');
    expect(payload).not.toContain(SECRET);
    expect(payload).not.toContain('a private prompt');

    const requests = exports.map((e) => e.request);
    expect(attrs(requests[0]!.resourceSpans[0]!.resource.attributes)['service.name']).toBe('keel-test');
    const spans = requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)));
    const root = spans.find((s) => attrs(s.attributes)['keel.request_id'] === 'trace-me-1');
    expect(root).toBeDefined();
    expect(root!.name).toBe('chat smart');
    expect(root!.kind).toBe(SPAN_KIND_SERVER);
    expect(root!.parentSpanId ?? '').toBe('');
    expect(root!.status?.code ?? 0).not.toBe(STATUS_ERROR);
    expect(attrs(root!.attributes)).toMatchObject({
      'keel.route': 'smart',
      'keel.outcome': 'ok',
      'keel.stream': false,
      'keel.client_format': 'openai',
      'keel.attempts': 3,
      'keel.deployment': 'fallback',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'smart',
      'gen_ai.response.model': 'sim-fallback',
      'gen_ai.provider.name': 'anthropic',
    });
    expect(attrs(root!.attributes)['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(attrs(root!.attributes)['gen_ai.usage.output_tokens']).toBeGreaterThan(0);

    const children = spans.filter((s) => s.parentSpanId === root!.spanId);
    expect(children.every((c) => c.traceId === root!.traceId && c.kind === SPAN_KIND_CLIENT)).toBe(true);
    children.sort((a, b) => Number(BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)));
    expect(children.map((c) => [c.name, attrs(c.attributes)['keel.attempt.kind'], c.status?.code ?? 0])).toEqual([
      ['chat sim-primary', 'first', STATUS_ERROR],
      ['chat sim-primary', 'retry', STATUS_ERROR],
      ['chat sim-fallback', 'failover', 0],
    ]);
    expect(attrs(children[0]!.attributes)).toMatchObject({
      'keel.deployment': 'primary',
      'keel.provider': 'openai',
      'keel.attempt.outcome': 'overloaded',
      'error.type': 'overloaded',
      'http.response.status_code': 503,
      'gen_ai.request.model': 'sim-primary',
      'gen_ai.provider.name': 'openai',
    });
    expect(children[0]!.status?.message).toBe('overloaded');
    expect(attrs(children[2]!.attributes)).toMatchObject({ 'keel.deployment': 'fallback', 'keel.attempt.outcome': 'ok', 'gen_ai.response.model': 'sim-fallback' });
    expect(attrs(children[2]!.attributes)['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    // The children sit inside the request span's time.
    for (const child of children) {
      expect(BigInt(child.startTimeUnixNano) >= BigInt(root!.startTimeUnixNano)).toBe(true);
      expect(BigInt(child.endTimeUnixNano) <= BigInt(root!.endTimeUnixNano)).toBe(true);
    }
  });

  it('samples only plain successes: a retried or failed request is traced whatever the ratio (sent as OTLP/JSON when asked)', async () => {
    exports.length = 0;
    let emit: (record: RequestRecord) => void = () => undefined;
    const router = { events: { on: (_name: string, listener: (record: RequestRecord) => void) => ((emit = listener), () => undefined) } } as unknown as Parameters<typeof createTracing>[0];
    const tracing = createTracing(router, { otlpEndpoint: sinkUrl, successSampleRatio: 0.5, random: () => 0.9, protocol: 'http/json' });
    const attempt = { deployment: 'primary', provider: 'openai', model: 'sim-primary', kind: 'first', outcome: 'ok', startedAtMs: Date.now(), latencyMs: 5 } as unknown as AttemptRecord;
    const record = (requestId: string, fields: Partial<RequestRecord>): RequestRecord =>
      ({ requestId, route: 'smart', tenant: undefined, priority: 'interactive', clientFormat: 'openai', stream: false, startedAtMs: Date.now(), latencyMs: 5, outcome: 'ok', degraded: undefined, deployment: 'primary', attempts: [attempt], ...fields }) as RequestRecord;
    emit(record('plain-success', {}));
    emit(record('retried', { attempts: [{ ...attempt, outcome: 'overloaded' } as AttemptRecord, { ...attempt, kind: 'retry' } as AttemptRecord] }));
    emit(record('failed', { outcome: 'all_deployments_failed', deployment: undefined, attempts: [{ ...attempt, outcome: 'overloaded' } as AttemptRecord] }));
    emit(record('degraded', { degraded: 'cache' }));
    await tracing.shutdown();
    expect(exports.map((e) => e.contentType)).toEqual(exports.map(() => 'application/json'));
    const ids = exports.flatMap((e) => e.request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => attrs(s.attributes)['keel.request_id']))));
    expect(ids.filter((id) => id !== undefined).sort()).toEqual(['degraded', 'failed', 'retried']);
  });
});

describe('keel serve with tracing', () => {
  it('logs the spans a refusing collector lost, without the collector token or provider key', async () => {
    const refusing = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"bad batch"}'));
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    const keel = await startKeel({
      port: 0,
      logger: createLogger('warn', new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) })),
      config: {
        simulator: { token_delay_ms: 0 },
        deployments: [{ id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true, api_key: SECRET }],
        routes: { smart: { deployments: ['primary'] } },
        telemetry: { otlp_endpoint: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`, otlp_headers: { 'x-collector-token': 'collector-T0KEN-value' } },
      },
    });
    try {
      const res = await fetch(`${keel.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      await keel.stop(); // flushes the batch, which the collector refuses
      await new Promise((resolve) => refusing.close(resolve));
    }
    const lost = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'trace export failed');
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ spans: 2, reason: 'export_failed' });
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.join('')).not.toContain('collector-T0KEN-value');
  });
});

