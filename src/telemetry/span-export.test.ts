/**
 * Span export against a real loopback collector: a full batch leaves at once and the rest waits for its
 * batch; a collector that hangs makes Keel drop spans past the queue's bound (and say so once) instead of
 * growing; one that refuses a batch is reported; one that answers 503 with `Retry-After` gets the batch
 * again and loses nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeTraceExport } from '../../test/support/otlp-trace-decoder.js';
import { SPAN_KIND_SERVER } from './otlp-spans.js';
import { SpanExport, type SpanLoss } from './span-export.js';

interface Received {
  spans: number;
  res: ServerResponse;
}

let server: Server | undefined;

/** A collector that hands each export to `answer`, which may hold it. */
async function collector(answer: (received: Received, index: number) => void): Promise<{ url: string; received: Received[]; arrived: (count: number) => Promise<void> }> {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = decodeTraceExport(Buffer.concat(chunks), req.headers['content-type']);
      const entry = { spans: request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)).length, res };
      received.push(entry);
      answer(entry, received.length - 1);
      for (const w of waiters.filter((w) => received.length >= w.count)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const arrived = (count: number) => (received.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })));
  return { url, received, arrived };
}

const ok = (r: Received) => r.res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();

/** Writes `requests` requests of one span each; returns how many were taken. */
function write(exporter: SpanExport, requests: number): number {
  let taken = 0;
  const ids = { bytes: Buffer.alloc(24, 7), traceAt: 0, spanAt: 16, parentAt: -1 };
  for (let i = 0; i < requests; i++) {
    const batch = exporter.writer(1);
    if (batch === undefined) continue;
    batch.open('chat smart', SPAN_KIND_SERVER, ids, Date.now(), 1);
    batch.number('keel.index', i);
    batch.close(undefined);
    exporter.written();
    taken += 1;
  }
  return taken;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

describe('SpanExport', () => {
  it('sends a full batch at once and keeps the rest for the next', async () => {
    const sink = await collector(ok);
    const exporter = new SpanExport({ url: sink.url, encoding: 'protobuf', serviceName: 'keel' });
    write(exporter, 600);
    await sink.arrived(1); // long before the 5 s batch delay, or the batch would hold all 600
    expect(sink.received.map((r) => r.spans)).toEqual([512]);
    await exporter.shutdown();
    expect(sink.received.map((r) => r.spans)).toEqual([512, 88]);
  });

  it('drops spans past the queue bound while the collector hangs, says so once, and takes spans again after', async () => {
    const held: Received[] = [];
    const sink = await collector((r) => held.push(r));
    const losses: SpanLoss[] = [];
    const exporter = new SpanExport({ url: sink.url, encoding: 'protobuf', serviceName: 'keel', onLoss: (loss) => losses.push(loss) });
    expect(write(exporter, 3000)).toBe(2048);
    expect(losses).toEqual([{ kind: 'queue_full', spans: 1 }]);
    await sink.arrived(4);
    expect(sink.received.map((r) => r.spans)).toEqual([512, 512, 512, 512]);

    const flushed = exporter.forceFlush();
    for (const r of held) ok(r);
    await flushed;
    expect(write(exporter, 10)).toBe(10);
    const done = exporter.shutdown();
    await sink.arrived(5);
    ok(sink.received[4]!);
    await done;
    expect(sink.received[4]!.spans).toBe(10);
  });

  it('reports a batch the collector refuses', async () => {
    const sink = await collector((r) => r.res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"bad"}'));
    const losses: SpanLoss[] = [];
    const exporter = new SpanExport({ url: sink.url, encoding: 'json', serviceName: 'keel', onLoss: (loss) => losses.push(loss) });
    write(exporter, 3);
    await exporter.shutdown();
    expect(sink.received).toHaveLength(1);
    expect(losses).toMatchObject([{ kind: 'export_failed', spans: 3 }]);
  });

  it('sends a batch again after a 503 with Retry-After, and loses nothing', async () => {
    const sink = await collector((r, index) => (index === 0 ? r.res.writeHead(503, { 'retry-after': '0' }).end() : ok(r)));
    const losses: SpanLoss[] = [];
    const exporter = new SpanExport({ url: sink.url, encoding: 'protobuf', serviceName: 'keel', onLoss: (loss) => losses.push(loss) });
    write(exporter, 5);
    await exporter.shutdown();
    expect(sink.received.map((r) => r.spans)).toEqual([5, 5]);
    expect(losses).toEqual([]);
  });

  it.each([
    ['protobuf', 'application/x-protobuf', Buffer.from([0x0a, 0x0b, 0x08, 0x03, 0x12, 0x07, ...Buffer.from('too big')])],
    ['json', 'application/json', Buffer.from('{"partialSuccess":{"rejectedSpans":"3","errorMessage":"too big"}}')],
  ] as const)('reports the spans a collector took but rejected (%s partial success)', async (encoding, contentType, answer) => {
    const sink = await collector((r) => r.res.writeHead(200, { 'content-type': contentType }).end(answer));
    const losses: SpanLoss[] = [];
    const exporter = new SpanExport({ url: sink.url, encoding, serviceName: 'keel', onLoss: (loss) => losses.push(loss) });
    write(exporter, 5);
    await exporter.shutdown();
    expect(losses).toEqual([{ kind: 'rejected', spans: 3, message: 'too big' }]);
  });

  it('reads an empty or full success as nothing lost', async () => {
    const answers = [Buffer.alloc(0), Buffer.from([0x0a, 0x00])];
    const sink = await collector((r, index) => r.res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(answers[index % 2]));
    const losses: SpanLoss[] = [];
    const exporter = new SpanExport({ url: sink.url, encoding: 'protobuf', serviceName: 'keel', onLoss: (loss) => losses.push(loss) });
    write(exporter, 2);
    await exporter.forceFlush();
    write(exporter, 2);
    await exporter.shutdown();
    expect(sink.received).toHaveLength(2);
    expect(losses).toEqual([]);
  });
});
