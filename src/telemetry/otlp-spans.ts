/**
 * A batch of spans encoded as an OTLP `ExportTraceServiceRequest` while they are written, in either of
 * OTLP/HTTP's encodings: binary protobuf (opentelemetry-proto's trace/v1 and common/v1 messages, by field
 * number) or OTLP/JSON. Keel's spans have two fixed shapes and are written once, when the request has
 * ended; encoding them straight into the export's bytes costs a few microseconds, where building SDK span
 * objects, converting them to OTLP objects and serialising those with protobufjs cost about twenty, and
 * left thousands of objects alive until the batch was sent. All spans of a batch share one resource
 * (`service.name`) and one instrumentation scope (`keel`).
 */
import { ProtoWriter } from './proto-writer.js';

export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;
const STATUS_CODE_ERROR = 2;
/** Span flags: W3C `sampled`, and "whether the parent is remote is known" (it is not remote). */
const SPAN_FLAGS = 0x101;
export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

/** Where a span's ids sit in a buffer of random bytes; `parentAt` is -1 for a root span. */
export interface SpanIds {
  bytes: Uint8Array;
  traceAt: number;
  spanAt: number;
  parentAt: number;
}

export interface SpanBatch {
  /** Spans written so far. */
  readonly spans: number;
  /** Starts a span; its attributes follow, then `close`. */
  open(name: string, kind: number, ids: SpanIds, startMs: number, durationMs: number): void;
  string(key: string, value: string): void;
  /** An integer is an `intValue`, any other number a `doubleValue`. */
  number(key: string, value: number): void;
  boolean(key: string, value: boolean): void;
  /** Attributes that recur together from span to span, written as one piece. */
  segment(segment: SpanSegment): void;
  /** Ends the span: with an ERROR status carrying `errorMessage` when there is one, else status unset. */
  close(errorMessage: string | undefined): void;
  /** The export request's body. The batch is spent once this is called. */
  body(): Uint8Array;
}

export type OtlpEncoding = 'protobuf' | 'json';

/** What a span attribute may hold: a string, an integer or double, or a boolean. */
export type AttributeValue = string | number | boolean;

/**
 * Attributes that recur together from span to span (a route's, a deployment's, an outcome's), encoded
 * once per encoding and copied whole into each span that carries them: one copy in place of a lookup and
 * a copy per attribute. Nothing in one may differ between the spans that share it.
 */
export class SpanSegment {
  private protobufBytes: Uint8Array | undefined;
  private jsonText: string | undefined;

  constructor(readonly attributes: ReadonlyArray<readonly [key: string, value: AttributeValue]>) {}

  /** The attributes as `Span.attributes` fields. */
  protobuf(): Uint8Array {
    if (this.protobufBytes === undefined) {
      const w = new ProtoWriter(256);
      for (const [key, value] of this.attributes) writeAttribute(w, key, value);
      this.protobufBytes = Uint8Array.prototype.slice.call(w.bytes());
    }
    return this.protobufBytes;
  }

  /** The attributes as OTLP/JSON KeyValues, comma-separated. */
  json(): string {
    this.jsonText ??= this.attributes.map(([key, value]) => jsonAttribute(key, value)).join(',');
    return this.jsonText;
  }
}

/** `expectedBytes`: what the last batch took, so that a batch rarely outgrows its buffer. */
export function createSpanBatch(encoding: OtlpEncoding, serviceName: string, expectedBytes = 0): SpanBatch {
  return encoding === 'protobuf' ? new ProtobufSpanBatch(serviceName, expectedBytes) : new JsonSpanBatch(serviceName);
}

/** Splits epoch milliseconds (possibly fractional) into whole seconds and nanoseconds. */
function secondsAndNanos(ms: number, out: [number, number]): void {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  out[0] = seconds;
  out[1] = nanos;
}

const time: [number, number] = [0, 0];

/*
 * Field numbers, from opentelemetry-proto: ExportTraceServiceRequest.resource_spans = 1;
 * ResourceSpans.resource = 1, .scope_spans = 2; Resource.attributes = 1; ScopeSpans.scope = 1, .spans = 2;
 * InstrumentationScope.name = 1; KeyValue.key = 1, .value = 2; AnyValue.string_value = 1, .bool_value = 2,
 * .int_value = 3, .double_value = 4; Status.message = 2, .code = 3.
 */
const SPAN = { traceId: 1, spanId: 2, parentSpanId: 4, name: 5, kind: 6, start: 7, end: 8, attributes: 9, status: 15, flags: 16 } as const;

/** Span names past this are encoded every time: the set is small, and a stray unique name must not grow it. */
const MAX_ENCODED_NAMES = 4096;

/**
 * Span names as encoded fields, made once per distinct name: a span's name repeats from request to request
 * (`chat <route>`, `chat <model>`), and copying its bytes costs a fraction of encoding it again.
 */
class EncodedNames {
  private readonly names = new Map<string, Uint8Array>();
  private readonly scratch = new ProtoWriter(256);

  /** A span's `name` field. */
  name(name: string): Uint8Array {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    this.scratch.reset();
    this.scratch.string(SPAN.name, name);
    if (this.names.size >= MAX_ENCODED_NAMES) return this.scratch.bytes();
    const encoded = Uint8Array.prototype.slice.call(this.scratch.bytes());
    this.names.set(name, encoded);
    return encoded;
  }
}

const ENCODED = new EncodedNames();

/** A span attribute (`Span.attributes` KeyValue) of any value, encoded in full. */
function writeAttribute(w: ProtoWriter, key: string, value: AttributeValue): void {
  if (typeof value === 'string') {
    writeStringAttribute(w, SPAN.attributes, key, value);
    return;
  }
  const keyValue = w.begin(SPAN.attributes);
  w.string(1, key);
  const any = w.begin(2);
  if (typeof value === 'boolean') w.bool(2, value);
  else if (Number.isInteger(value)) w.int(3, value);
  else w.double(4, value);
  w.end(any);
  w.end(keyValue);
}

/** A KeyValue of a string value, as field `field` (`Span.attributes`, or `Resource.attributes`: 1). */
function writeStringAttribute(w: ProtoWriter, field: number, key: string, value: string): void {
  const keyValue = w.begin(field);
  w.string(1, key);
  const any = w.begin(2);
  w.string(1, value);
  w.end(any);
  w.end(keyValue);
}

class ProtobufSpanBatch implements SpanBatch {
  spans = 0;
  private readonly out: ProtoWriter;
  private readonly resourceSpans: number;
  private readonly scopeSpans: number;
  private span = -1;

  constructor(serviceName: string, expectedBytes: number) {
    this.out = new ProtoWriter(Math.max(64 * 1024, expectedBytes + 1024));
    this.resourceSpans = this.out.begin(1);
    const resource = this.out.begin(1);
    writeStringAttribute(this.out, 1, 'service.name', serviceName);
    this.out.end(resource);
    this.scopeSpans = this.out.begin(2);
    const scope = this.out.begin(1);
    this.out.string(1, 'keel');
    this.out.end(scope);
  }

  open(name: string, kind: number, ids: SpanIds, startMs: number, durationMs: number): void {
    const out = this.out;
    this.span = out.begin(2);
    out.byteField(SPAN.traceId, ids.bytes, ids.traceAt, TRACE_ID_BYTES);
    out.byteField(SPAN.spanId, ids.bytes, ids.spanAt, SPAN_ID_BYTES);
    if (ids.parentAt >= 0) out.byteField(SPAN.parentSpanId, ids.bytes, ids.parentAt, SPAN_ID_BYTES);
    out.fixed32(SPAN.flags, SPAN_FLAGS);
    out.raw(ENCODED.name(name));
    out.int(SPAN.kind, kind);
    secondsAndNanos(startMs, time);
    out.nanos(SPAN.start, time[0], time[1]);
    secondsAndNanos(startMs + Math.max(0, durationMs), time);
    out.nanos(SPAN.end, time[0], time[1]);
  }

  string(key: string, value: string): void {
    writeStringAttribute(this.out, SPAN.attributes, key, value);
  }

  number(key: string, value: number): void {
    writeAttribute(this.out, key, value);
  }

  boolean(key: string, value: boolean): void {
    writeAttribute(this.out, key, value);
  }

  segment(segment: SpanSegment): void {
    this.out.raw(segment.protobuf());
  }

  close(errorMessage: string | undefined): void {
    if (errorMessage !== undefined) {
      const status = this.out.begin(SPAN.status);
      this.out.string(2, errorMessage);
      this.out.int(3, STATUS_CODE_ERROR);
      this.out.end(status);
    }
    this.out.end(this.span);
    this.spans += 1;
  }

  body(): Uint8Array {
    this.out.end(this.scopeSpans);
    this.out.end(this.resourceSpans);
    return this.out.bytes();
  }
}

/** OTLP/JSON: ids in lowercase hex, enums as numbers, 64-bit integers as decimal strings. */
class JsonSpanBatch implements SpanBatch {
  spans = 0;
  private readonly head: string;
  private readonly done: string[] = [];
  private current = '';
  private attributes: string[] = [];

  constructor(serviceName: string) {
    this.head = `{"resourceSpans":[{"resource":{"attributes":[${keyValue('service.name', { stringValue: serviceName })}]},"scopeSpans":[{"scope":{"name":"keel"},"spans":[`;
  }

  open(name: string, kind: number, ids: SpanIds, startMs: number, durationMs: number): void {
    const hex = (at: number, length: number) => Buffer.from(ids.bytes.buffer, ids.bytes.byteOffset + at, length).toString('hex');
    const parent = ids.parentAt >= 0 ? `"parentSpanId":"${hex(ids.parentAt, SPAN_ID_BYTES)}",` : '';
    this.current = `{"traceId":"${hex(ids.traceAt, TRACE_ID_BYTES)}","spanId":"${hex(ids.spanAt, SPAN_ID_BYTES)}",${parent}"flags":${SPAN_FLAGS},"name":${JSON.stringify(name)},"kind":${kind},"startTimeUnixNano":"${unixNanos(startMs)}","endTimeUnixNano":"${unixNanos(startMs + Math.max(0, durationMs))}"`;
    this.attributes = [];
  }

  string(key: string, value: string): void {
    this.attributes.push(jsonAttribute(key, value));
  }

  number(key: string, value: number): void {
    this.attributes.push(jsonAttribute(key, value));
  }

  boolean(key: string, value: boolean): void {
    this.attributes.push(jsonAttribute(key, value));
  }

  segment(segment: SpanSegment): void {
    if (segment.attributes.length > 0) this.attributes.push(segment.json());
  }

  close(errorMessage: string | undefined): void {
    const status = errorMessage === undefined ? '{}' : `{"code":${STATUS_CODE_ERROR},"message":${JSON.stringify(errorMessage)}}`;
    this.done.push(`${this.current},"attributes":[${this.attributes.join(',')}],"status":${status}}`);
    this.spans += 1;
  }

  body(): Uint8Array {
    return Buffer.from(`${this.head}${this.done.join(',')}]}]}]}`, 'utf8');
  }
}

function keyValue(key: string, value: Record<string, AttributeValue>): string {
  return `{"key":${JSON.stringify(key)},"value":${JSON.stringify(value)}}`;
}

/** An attribute as an OTLP/JSON KeyValue: an integer is an `intValue` (a decimal string), any other number a `doubleValue`. */
function jsonAttribute(key: string, value: AttributeValue): string {
  if (typeof value === 'string') return keyValue(key, { stringValue: value });
  if (typeof value === 'boolean') return keyValue(key, { boolValue: value });
  return keyValue(key, Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value });
}

function unixNanos(ms: number): string {
  secondsAndNanos(ms, time);
  return `${time[0]}${String(time[1]).padStart(9, '0')}`;
}
