/**
 * OpenTelemetry traces of what the router did, exported over OTLP/HTTP (binary protobuf by default, the
 * protocol OTLP names as the default; JSON on request). The router is never instrumented inline: when a
 * request finishes, its `RequestRecord` already holds every attempt with its start time and duration, so
 * the spans are written after the fact — a SERVER span for the client request and a CLIENT child per
 * upstream attempt — straight into the next export's bytes (`otlp-spans.ts`), which the OTel exporter's
 * transport sends (`span-export.ts`). Neither a live span (sampler, context, attribute checks, clock
 * reads) nor an SDK span object is made: both cost more than the export itself on the request path
 * (measured with `npm run bench:compare -- --variants telemetry`). Without an endpoint nothing is
 * subscribed and nothing is built, so tracing that is off costs the request path nothing. Attributes are
 * bounded facts (route, deployment, outcome, status, token counts); prompts, answers, upstream error
 * messages, tenants and keys are never exported. Nothing is registered globally: an application
 * embedding Keel keeps its own global tracer provider.
 */
import { RandomBytes } from '../core/random-bytes.js';
import type { Router } from '../router/router.js';
import type { AttemptRecord, RequestRecord } from '../router/router-types.js';
import { TRACING_OFF } from './open-tracing.js';
import { SPAN_ID_BYTES, SPAN_KIND_CLIENT, SPAN_KIND_SERVER, TRACE_ID_BYTES, type SpanBatch, type SpanIds } from './otlp-spans.js';
import { SpanExport, type SpanLoss } from './span-export.js';
import { SpanSegments } from './span-segments.js';

export interface TracingOptions {
  /**
   * The collector's OTLP/HTTP endpoint: a base URL (`http://collector:4318`, as in
   * OTEL_EXPORTER_OTLP_ENDPOINT) gets `/v1/traces` appended; a URL already ending in `/v1/traces` is
   * used as is. Unset: tracing is off.
   */
  otlpEndpoint?: string;
  /** The `service.name` resource attribute; default `keel`. */
  serviceName?: string;
  /** Sent with every export (a collector's auth token, say). */
  headers?: Record<string, string>;
  /** The OTLP/HTTP encoding; default `http/protobuf` (OTLP's default; every collector accepts it). */
  protocol?: OtlpProtocol;
  /**
   * Share of plain successes traced (answered by the first attempt, not degraded); default 1. Every other
   * request — failed, retried, hedged, failed over, degraded — is always traced: spans are built after the
   * request ended, so Keel can keep exactly the ones worth reading and sample only the uneventful rest.
   */
  successSampleRatio?: number;
  /** For tests: the sampling draw. */
  random?: () => number;
  /** Told when spans are lost: a batch the collector never took, or spans dropped on a full queue. */
  onLoss?: (loss: SpanLoss) => void;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface Tracing {
  readonly enabled: boolean;
  /** Exports every span built so far. */
  forceFlush(): Promise<void>;
  /** Unsubscribes from the router, then flushes and stops the exporter. */
  shutdown(): Promise<void>;
}

const TRACING_DEFAULTS = {
  serviceName: 'keel',
};

export function createTracing(router: Pick<Router, 'events'>, options: TracingOptions = {}): Tracing {
  if (options.otlpEndpoint === undefined || options.otlpEndpoint.trim() === '') return TRACING_OFF;
  const exporter = new SpanExport({
    url: tracesUrl(options.otlpEndpoint),
    encoding: options.protocol === 'http/json' ? 'json' : 'protobuf',
    serviceName: options.serviceName ?? TRACING_DEFAULTS.serviceName,
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.onLoss === undefined ? {} : { onLoss: options.onLoss }),
  });
  const ids = new RandomBytes();
  const segments = new SpanSegments();
  const ratio = options.successSampleRatio ?? 1;
  const random = options.random ?? Math.random;
  const unsubscribe = router.events.on('request', (record) => {
    if (ratio < 1 && isPlainSuccess(record) && random() >= ratio) return;
    const batch = exporter.writer(1 + record.attempts.length);
    if (batch === undefined) return;
    writeRequestSpans(batch, ids, segments, record);
    exporter.written();
  });
  return {
    enabled: true,
    forceFlush: () => exporter.forceFlush(),
    async shutdown() {
      unsubscribe();
      await exporter.shutdown();
    },
  };
}

/** Answered by its first attempt, not degraded: the requests sampling may leave out. */
export function isPlainSuccess(record: RequestRecord): boolean {
  return record.outcome === 'ok' && record.degraded === undefined && record.attempts.length === 1;
}

/** Where the exporter posts: OTLP/HTTP's signal path appended to a base endpoint. */
export function tracesUrl(endpoint: string): string {
  const base = endpoint.trim().replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}

/**
 * The request's span and one child span per attempt, with the times the router recorded: each span's
 * fixed part (name and the attributes its route, outcome and deployment decide, see span-segments.ts) as
 * one piece, and what is this request's own beside it.
 */
function writeRequestSpans(batch: SpanBatch, random: RandomBytes, segments: SpanSegments, record: RequestRecord): void {
  const at = random.take(TRACE_ID_BYTES + SPAN_ID_BYTES * (1 + record.attempts.length));
  const rootAt = at + TRACE_ID_BYTES;
  const ids: SpanIds = { bytes: random.pool, traceAt: at, spanAt: rootAt, parentAt: -1 };
  const answered = answeringAttempt(record);
  const root = segments.request(record, answered);
  batch.open(root.name, SPAN_KIND_SERVER, ids, record.startedAtMs, record.latencyMs);
  batch.segment(root.segment);
  batch.string('keel.request_id', record.requestId);
  if (answered !== undefined) writeUsage(batch, answered);
  // The status message is the error code, never the upstream's text, which may quote the prompt.
  batch.close(record.outcome === 'ok' ? undefined : record.outcome);

  ids.parentAt = rootAt;
  for (let i = 0; i < record.attempts.length; i++) {
    const attempt = record.attempts[i]!;
    ids.spanAt = rootAt + SPAN_ID_BYTES * (i + 1);
    const fixed = segments.attempt(attempt);
    batch.open(fixed.name, SPAN_KIND_CLIENT, ids, attempt.startedAtMs, attempt.latencyMs);
    batch.segment(fixed.segment);
    if (attempt.outcome === 'ok') writeUsage(batch, attempt);
    // Not `gen_ai.response.time_to_first_chunk`: for a non-streamed answer this is the time to the whole body.
    if (attempt.ttftMs !== undefined) batch.number('keel.attempt.ttft_ms', attempt.ttftMs);
    batch.close(attempt.outcome === 'ok' ? undefined : attempt.outcome);
  }
}

/** What an answer cost, in GenAI terms. */
function writeUsage(batch: SpanBatch, attempt: AttemptRecord): void {
  if (attempt.usage === undefined) return;
  batch.number('gen_ai.usage.input_tokens', attempt.usage.inputTokens);
  batch.number('gen_ai.usage.output_tokens', attempt.usage.outputTokens);
  if (attempt.usage.cachedInputTokens !== undefined) batch.number('gen_ai.usage.cache_read.input_tokens', attempt.usage.cachedInputTokens);
}

function answeringAttempt(record: RequestRecord): AttemptRecord | undefined {
  if (record.deployment === undefined) return undefined;
  return record.attempts.findLast((a) => a.deployment === record.deployment && a.outcome === 'ok');
}
