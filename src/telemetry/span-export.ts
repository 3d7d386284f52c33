/**
 * Batches of encoded spans sent to an OTLP/HTTP collector. The batching is the OTel SDK's batch span
 * processor's, with its defaults: a batch is sent when it holds 512 spans or 5 s after its first span,
 * and spans past 2,048 waiting or in flight are dropped rather than queued without bound (a collector
 * that is down must not grow Keel's memory). The sending is the OTel exporter's own transport
 * (`@opentelemetry/otlp-exporter-base`: timeouts, retries with backoff on 429/502/503/504 honouring
 * `Retry-After`, a bound on concurrent exports, the `OTEL_EXPORTER_OTLP_*` environment), given bodies
 * Keel encoded itself (`otlp-spans.ts`) in place of the SDK's serialiser. The collector's answer is read
 * here too, for the one thing in it: spans it took but rejected (OTLP's partial success), which are
 * reported as lost rather than left to the SDK's diagnostic logger that Keel never installs. Not using
 * the SDK's serialisers also spares loading them: about 110 modules, its metrics and logs SDKs included.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { createSpanBatch, type OtlpEncoding, type SpanBatch } from './otlp-spans.js';

export interface SpanExportOptions {
  /** The full traces URL (`…/v1/traces`). */
  url: string;
  encoding: OtlpEncoding;
  serviceName: string;
  headers?: Record<string, string>;
  /**
   * Told of each batch that could not be delivered (after the transport's retries), and of spans dropped
   * on a full queue — once when dropping starts, not per request, so that a collector that is down
   * cannot flood the log.
   */
  onLoss?: (loss: SpanLoss) => void;
}

export type SpanLoss =
  | { kind: 'export_failed'; spans: number; error: Error | undefined }
  | { kind: 'queue_full'; spans: number }
  /** The collector took the batch but rejected some of its spans, saying why. */
  | { kind: 'rejected'; spans: number; message: string };

const SPAN_EXPORT_DEFAULTS = {
  // The OTel SDK's batch span processor defaults (OTEL_BSP_*), which collectors are sized for.
  maxBatchSpans: 512,
  maxQueuedSpans: 2048,
  batchDelayMs: 5_000, // 5 s
  // The OTel SDK's own default for an export request; a collector that slow is down, not busy.
  exportTimeoutMs: 10_000, // 10 s
};

interface EncodedBatch {
  body: Uint8Array;
  spans: number;
}

type Serializer = Parameters<typeof createOtlpHttpExportDelegate<EncodedBatch, undefined>>[1];

/** Passes a body Keel already encoded; reads a partial success out of the collector's answer. */
function passThrough(encoding: OtlpEncoding, onRejected: (rejected: PartialSuccess) => void): Serializer {
  return {
    serializeRequest: (batch) => batch.body,
    deserializeResponse(data) {
      const rejected = encoding === 'protobuf' ? readProtobufPartialSuccess(data) : readJsonPartialSuccess(data);
      if (rejected !== undefined && (rejected.spans > 0 || rejected.message !== '')) onRejected(rejected);
      return undefined;
    },
  };
}

interface PartialSuccess {
  spans: number;
  message: string;
}

/** `ExportTraceServiceResponse.partial_success` (1): `rejected_spans` (1, int64), `error_message` (2). */
export function readProtobufPartialSuccess(data: Uint8Array): PartialSuccess | undefined {
  const partial = protobufFields(data).get(1);
  if (partial === undefined || typeof partial === 'number') return undefined;
  const fields = protobufFields(partial);
  const spans = fields.get(1);
  const message = fields.get(2);
  return { spans: typeof spans === 'number' ? spans : 0, message: message instanceof Uint8Array ? Buffer.from(message).toString('utf8') : '' };
}

/** The last value of each varint or length-delimited field of a message (other wire types skipped). */
function protobufFields(data: Uint8Array): Map<number, number | Uint8Array> {
  const fields = new Map<number, number | Uint8Array>();
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; at < data.length; scale *= 128) {
      const byte = data[at++]!;
      value += (byte & 127) * scale;
      if (byte < 128) return value;
    }
    throw new Error('truncated varint');
  };
  while (at < data.length) {
    const key = varint();
    const wireType = key & 7;
    if (wireType === 0) fields.set(key >>> 3, varint());
    else if (wireType === 2) {
      const length = varint();
      fields.set(key >>> 3, data.subarray(at, at + length));
      at += length;
    } else if (wireType === 1) at += 8;
    else if (wireType === 5) at += 4;
    else throw new Error(`unexpected wire type ${wireType}`);
  }
  return fields;
}

export function readJsonPartialSuccess(data: Uint8Array): PartialSuccess | undefined {
  if (data.length === 0) return undefined;
  const answer = JSON.parse(Buffer.from(data).toString('utf8')) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } } | null;
  const partial = answer?.partialSuccess;
  if (partial === undefined || partial === null) return undefined;
  return { spans: Number(partial.rejectedSpans ?? 0) || 0, message: typeof partial.errorMessage === 'string' ? partial.errorMessage : '' };
}

export class SpanExport {
  private batch: SpanBatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Spans handed to the transport and not yet settled. */
  private inFlight = 0;
  private readonly pending = new Set<Promise<void>>();
  private dropping = false;
  private lastBodyBytes = 0;
  private readonly delegate;

  constructor(private readonly options: SpanExportOptions) {
    const contentType = options.encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json';
    // `convertLegacyHttpOptions` is how the OTel exporters themselves build this configuration.
    const config = convertLegacyHttpOptions(
      { url: options.url, timeoutMillis: SPAN_EXPORT_DEFAULTS.exportTimeoutMs, ...(options.headers === undefined ? {} : { headers: options.headers }) },
      'TRACES',
      'v1/traces',
      { 'Content-Type': contentType },
    );
    const serializer = passThrough(options.encoding, (rejected) => options.onLoss?.({ kind: 'rejected', ...rejected }));
    this.delegate = createOtlpHttpExportDelegate(config, serializer, 'otlp_http_span_exporter', { name: 'span', countItems: (b: EncodedBatch) => b.spans }, undefined);
  }

  /**
   * The batch to write one request's `spans` spans into, or undefined when the queue is full and they
   * are dropped (and `onLoss` told).
   */
  writer(spans: number): SpanBatch | undefined {
    const batch = (this.batch ??= createSpanBatch(this.options.encoding, this.options.serviceName, this.lastBodyBytes));
    if (this.inFlight + batch.spans + spans > SPAN_EXPORT_DEFAULTS.maxQueuedSpans) {
      if (!this.dropping) this.options.onLoss?.({ kind: 'queue_full', spans });
      this.dropping = true;
      return undefined;
    }
    this.dropping = false;
    return batch;
  }

  /** Call after writing a request's spans: sends a full batch now, and a new one after the delay. */
  written(): void {
    if (this.batch === undefined) return;
    if (this.batch.spans >= SPAN_EXPORT_DEFAULTS.maxBatchSpans) this.send();
    else this.timer ??= setTimeout(() => this.send(), SPAN_EXPORT_DEFAULTS.batchDelayMs).unref();
  }

  /** Sends what is waiting and resolves when every export so far has settled. */
  async forceFlush(): Promise<void> {
    this.send();
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
    await this.delegate.shutdown();
  }

  private send(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = undefined;
    if (batch === undefined || batch.spans === 0) return;
    const encoded: EncodedBatch = { body: batch.body(), spans: batch.spans };
    this.lastBodyBytes = encoded.body.length;
    this.inFlight += encoded.spans;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    this.pending.add(settled);
    // The callback may come before `export` returns (a transport already shut down, say).
    this.delegate.export(encoded, (result: ExportResult) => {
      this.inFlight -= encoded.spans;
      this.pending.delete(settled);
      if (result.code !== ExportResultCode.SUCCESS) this.options.onLoss?.({ kind: 'export_failed', spans: encoded.spans, error: result.error });
      settle();
    });
  }
}
