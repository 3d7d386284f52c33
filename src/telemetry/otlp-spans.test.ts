/**
 * Span batches as a collector reads them: the protobuf body decoded by a decoder written from the .proto
 * field numbers (independent of this encoder), and the JSON body parsed, must say the same thing — ids,
 * times to the nanosecond, every attribute type, error statuses — including strings long and non-ASCII
 * enough to need multi-byte lengths, and a batch big enough to outgrow its first buffer.
 */
import { describe, expect, it } from 'vitest';
import { decodeTraceExport, type OtlpRequest, type OtlpSpan } from '../../test/support/otlp-trace-decoder.js';
import { createSpanBatch, SPAN_KIND_CLIENT, SPAN_KIND_SERVER, SpanSegment, type OtlpEncoding, type SpanBatch } from './otlp-spans.js';

const ids = Buffer.from('0af7651916cd43dd8448eb211c80319c' + 'b7ad6b7169203331' + '00f067aa0ba902b7', 'hex');
const LONG = `${'é漢😀'.repeat(40)}-end`; // 40 × 9 bytes of UTF-8: a length that takes two varint bytes
const START_MS = 1_764_881_234_567.25; // exact in a double: 1764881234567250000 ns

function writeTwo(batch: SpanBatch): void {
  batch.open('chat smart', SPAN_KIND_SERVER, { bytes: ids, traceAt: 0, spanAt: 16, parentAt: -1 }, START_MS, 1000.5);
  batch.string('keel.route', 'smart');
  batch.string('keel.long', LONG);
  batch.number('keel.attempts', 2);
  batch.number('keel.zero', 0);
  batch.number('keel.negative', -5);
  batch.number('keel.big', 2 ** 40);
  batch.number('keel.attempt.ttft_ms', 12.5);
  batch.boolean('keel.stream', true);
  batch.boolean('keel.cancelled', false);
  batch.close(undefined);
  batch.open(`chat ${LONG}`, SPAN_KIND_CLIENT, { bytes: ids, traceAt: 0, spanAt: 24, parentAt: 16 }, START_MS + 0.5, -3);
  batch.string('error.type', 'overloaded');
  batch.segment(SEGMENT);
  batch.segment(SEGMENT); // encoded once, copied each time
  batch.close('overloaded');
}

const SEGMENT = new SpanSegment([
  ['keel.deployment', 'primary'],
  ['keel.long', LONG],
  ['http.response.status_code', 503],
  ['keel.attempt.ttft_ms', 0.25],
  ['keel.attempt.cancelled', true],
]);

function spansOf(request: OtlpRequest): OtlpSpan[] {
  return request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
}

/** What both encodings must agree on (JSON may spell an unset status `{}` and carry `flags`). */
function normal(span: OtlpSpan): unknown {
  return {
    ...span,
    flags: undefined,
    startTimeUnixNano: String(span.startTimeUnixNano),
    endTimeUnixNano: String(span.endTimeUnixNano),
    status: span.status?.code === undefined || span.status.code === 0 ? undefined : span.status,
    attributes: span.attributes.map(({ key, value }) => ({ key, value: value.intValue === undefined ? value : { intValue: String(value.intValue) } })),
  };
}

function decoded(encoding: OtlpEncoding, write: (batch: SpanBatch) => void): OtlpRequest {
  const batch = createSpanBatch(encoding, 'keel-test');
  write(batch);
  return decodeTraceExport(Buffer.from(batch.body()), encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json');
}

describe('span batches', () => {
  it('say the same in protobuf and in JSON, to the nanosecond and the byte', () => {
    const proto = decoded('protobuf', writeTwo);
    const json = decoded('json', writeTwo);
    for (const request of [proto, json]) {
      expect(request.resourceSpans).toHaveLength(1);
      expect(request.resourceSpans[0]!.resource.attributes).toEqual([{ key: 'service.name', value: { stringValue: 'keel-test' } }]);
    }
    const [root, child] = spansOf(proto);
    expect(spansOf(json).map(normal)).toEqual(spansOf(proto).map(normal));

    expect(root).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', name: 'chat smart', kind: SPAN_KIND_SERVER });
    expect(root!.parentSpanId).toBeUndefined();
    expect(root!.startTimeUnixNano).toBe('1764881234567250000');
    expect(root!.endTimeUnixNano).toBe('1764881235567750000');
    expect(root!.status).toBeUndefined();
    expect(Object.fromEntries(root!.attributes.map((a) => [a.key, a.value]))).toEqual({
      'keel.route': { stringValue: 'smart' },
      'keel.long': { stringValue: LONG },
      'keel.attempts': { intValue: '2' },
      'keel.zero': { intValue: '0' },
      'keel.negative': { intValue: '-5' },
      'keel.big': { intValue: String(2 ** 40) },
      'keel.attempt.ttft_ms': { doubleValue: 12.5 },
      'keel.stream': { boolValue: true },
      'keel.cancelled': { boolValue: false },
    });

    expect(child).toMatchObject({ traceId: root!.traceId, spanId: '00f067aa0ba902b7', parentSpanId: 'b7ad6b7169203331', name: `chat ${LONG}`, kind: SPAN_KIND_CLIENT });
    expect(child!.status).toEqual({ code: 2, message: 'overloaded' });
    const segment = [
      { key: 'keel.deployment', value: { stringValue: 'primary' } },
      { key: 'keel.long', value: { stringValue: LONG } },
      { key: 'http.response.status_code', value: { intValue: '503' } },
      { key: 'keel.attempt.ttft_ms', value: { doubleValue: 0.25 } },
      { key: 'keel.attempt.cancelled', value: { boolValue: true } },
    ];
    expect(child!.attributes).toEqual([{ key: 'error.type', value: { stringValue: 'overloaded' } }, ...segment, ...segment]);
    // A negative duration (clock skew) ends the span where it started.
    expect(child!.endTimeUnixNano).toBe(child!.startTimeUnixNano);
    expect(child!.startTimeUnixNano).toBe('1764881234567750000');
  });

  it('keep every span of a batch that outgrows its first buffer', () => {
    const many = (batch: SpanBatch) => {
      for (let i = 0; i < 600; i++) {
        batch.open(`chat route-${i}`, SPAN_KIND_SERVER, { bytes: ids, traceAt: 0, spanAt: 16, parentAt: -1 }, START_MS + i, 5);
        batch.string('keel.request_id', `req-${i}-${'x'.repeat(100)}`);
        batch.number('keel.index', i);
        batch.close(i % 2 === 0 ? undefined : 'timeout');
      }
      expect(batch.spans).toBe(600);
    };
    for (const encoding of ['protobuf', 'json'] as const) {
      const spans = spansOf(decoded(encoding, many));
      expect(spans).toHaveLength(600);
      expect(spans.map((s) => s.name)).toEqual(Array.from({ length: 600 }, (_, i) => `chat route-${i}`));
      expect(spans[599]!.attributes[1]!.value.intValue).toBe('599');
      expect(spans[599]!.status).toEqual({ code: 2, message: 'timeout' });
    }
  });

  it('encode span names the same from the cache of repeated names, and past its bound', () => {
    // Two batches: the second finds the repeated names already encoded; with 2,500 distinct names in
    // each, the second overflows the cache, and the names past it are encoded each time.
    const nameOf = (round: number, i: number): string => (i % 2 === 0 ? `chat r${i % 3}` : `chat n${round}-${i}`);
    for (let round = 0; round < 2; round++) {
      const spans = spansOf(
        decoded('protobuf', (batch) => {
          for (let i = 0; i < 5000; i++) {
            batch.open(nameOf(round, i), SPAN_KIND_SERVER, { bytes: ids, traceAt: 0, spanAt: 16, parentAt: -1 }, START_MS, 1);
            batch.string('keel.route', `r${i % 3}`);
            batch.string('keel.distinct', `v${i}`);
            batch.string('keel.request_id', `id-${round}-${i}`);
            batch.close(undefined);
          }
        }),
      );
      expect(spans).toHaveLength(5000);
      spans.forEach((span, i) => {
        expect(span.name).toBe(nameOf(round, i));
        expect(span.attributes.map((a) => a.value.stringValue)).toEqual([`r${i % 3}`, `v${i}`, `id-${round}-${i}`]);
      });
    }
  });
});
