/**
 * OpenTelemetry traces of what the router did, exported over OTLP/HTTP (binary protobuf by default, the
 * protocol OTLP names as the default; JSON on request). The router is never instrumented inline: when a
 * request finishes, its `RequestRecord` already holds every attempt with its start time and duration, so
 * the spans are built after the fact — a SERVER span for the client request and a CLIENT child per
 * upstream attempt. They are built as finished `ReadableSpan`s handed straight to the SDK's batch
 * processor and OTLP exporter: a live span (sampler, context, attribute checks, clock reads) would only
 * be started and ended at once, and cost about as much again as the export itself (measured with
 * `npm run bench:compare -- --variants telemetry`). Without an endpoint nothing is subscribed and nothing
 * is built, so tracing that is off costs the request path nothing. Attributes are bounded facts (route,
 * deployment, outcome, status, token counts); prompts, answers, upstream error messages, tenants and keys
 * are never exported. Nothing is registered globally: an application embedding Keel keeps its own global
 * tracer provider.
 */
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type SpanContext, type SpanStatus } from '@opentelemetry/api';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { BatchSpanProcessor, RandomIdGenerator, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import type { ProviderName } from '../config/schema.js';
import type { Router } from '../router/router.js';
import type { AttemptRecord, RequestRecord } from '../router/router-types.js';
import { TRACING_OFF } from './open-tracing.js';

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
  // The OTel SDK's own default for an export request; a collector that slow is down, not busy.
  exportTimeoutMs: 10_000, // 10 s
};

/*
 * Attribute names: GenAI semantic conventions (`gen_ai.*`) where they exist, written out rather than
 * imported: the conventions are incubating (the JS package marks them deprecated in favour of a separate
 * GenAI repository), so OTel advises copying them. `gen_ai.system` is the older name for the provider,
 * which many backends still read alone, so both are set. Keel's own facts are `keel.*`.
 */

/** Keel's provider names as the GenAI conventions spell them; `openai-compatible` has no well-known value. */
const GEN_AI_PROVIDER: Record<ProviderName, string> = {
  anthropic: 'anthropic',
  openai: 'openai',
  gemini: 'gcp.gemini',
  'openai-compatible': 'openai-compatible',
  bedrock: 'aws.bedrock',
  vertex: 'gcp.vertex_ai',
  'azure-openai': 'azure.ai.openai',
};


export function createTracing(router: Pick<Router, 'events'>, options: TracingOptions = {}): Tracing {
  if (options.otlpEndpoint === undefined || options.otlpEndpoint.trim() === '') return TRACING_OFF;
  const Exporter = options.protocol === 'http/json' ? OTLPJsonTraceExporter : OTLPProtobufTraceExporter;
  const exporter = new Exporter({
    url: tracesUrl(options.otlpEndpoint),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    timeoutMillis: TRACING_DEFAULTS.exportTimeoutMs,
  });
  const processor = new BatchSpanProcessor(exporter);
  const source: SpanSource = {
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? TRACING_DEFAULTS.serviceName }),
    ids: new RandomIdGenerator(),
  };
  const ratio = options.successSampleRatio ?? 1;
  const random = options.random ?? Math.random;
  const unsubscribe = router.events.on('request', (record) => {
    if (ratio < 1 && isPlainSuccess(record) && random() >= ratio) return;
    for (const span of requestSpans(source, record)) processor.onEnd(span);
  });
  return {
    enabled: true,
    forceFlush: () => processor.forceFlush(),
    async shutdown() {
      unsubscribe();
      await processor.shutdown();
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

/** Where spans come from: the resource they describe and the ids they get. */
interface SpanSource {
  resource: Resource;
  ids: { generateTraceId(): string; generateSpanId(): string };
}

/** The request's span and one child span per attempt, with the times the router recorded. */
function requestSpans(source: SpanSource, record: RequestRecord): ReadableSpan[] {
  const answered = answeringAttempt(record);
  // Literal keys (not computed ones): V8 builds these objects from a template, which the request path feels.
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': record.route,
    'gen_ai.request.stream': record.stream,
    'keel.request_id': record.requestId,
    'keel.route': record.route,
    'keel.outcome': record.outcome,
    'keel.stream': record.stream,
    'keel.client_format': record.clientFormat,
    'keel.priority': record.priority,
    'keel.attempts': record.attempts.length,
  };
  if (record.degraded !== undefined) attributes['keel.degraded'] = record.degraded;
  if (record.deployment !== undefined) attributes['keel.deployment'] = record.deployment;
  if (answered !== undefined) addModelAttributes(attributes, answered);
  if (record.outcome !== 'ok') attributes[ATTR_ERROR_TYPE] = record.outcome;

  const traceId = source.ids.generateTraceId();
  const root = new FinishedSpan(source, `chat ${record.route}`, SpanKind.SERVER, traceId, source.ids.generateSpanId(), undefined, record.startedAtMs, record.latencyMs, attributes, record.outcome);
  const spans: ReadableSpan[] = [root];
  for (const attempt of record.attempts) {
    spans.push(new FinishedSpan(source, `chat ${attempt.model}`, SpanKind.CLIENT, traceId, source.ids.generateSpanId(), root.context, attempt.startedAtMs, attempt.latencyMs, attemptAttributes(attempt), attempt.outcome));
  }
  return spans;
}

const OK_STATUS: SpanStatus = { code: SpanStatusCode.UNSET };
const NO_LINKS: [] = [];
const NO_EVENTS: [] = [];
const INSTRUMENTATION_SCOPE = { name: 'keel' } as const;

/** Milliseconds since the epoch (possibly fractional) as OTel's [seconds, nanoseconds]. */
function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** A span that is over before it is made: what the batch processor and the OTLP exporter read. */
class FinishedSpan implements ReadableSpan {
  readonly context: SpanContext;
  readonly parentSpanContext?: SpanContext;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly resource: Resource;
  readonly instrumentationScope = INSTRUMENTATION_SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;

  constructor(
    source: SpanSource,
    readonly name: string,
    readonly kind: SpanKind,
    traceId: string,
    spanId: string,
    parent: SpanContext | undefined,
    startMs: number,
    durationMs: number,
    readonly attributes: Attributes,
    outcome: string,
  ) {
    const duration = Math.max(0, durationMs);
    this.context = { traceId, spanId, traceFlags: TraceFlags.SAMPLED };
    if (parent !== undefined) this.parentSpanContext = parent;
    this.startTime = hrTime(startMs);
    this.endTime = hrTime(startMs + duration);
    this.duration = hrTime(duration);
    // The status message is the error code, never the upstream's text, which may quote the prompt.
    this.status = outcome === 'ok' ? OK_STATUS : { code: SpanStatusCode.ERROR, message: outcome };
    this.resource = source.resource;
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

function attemptAttributes(attempt: AttemptRecord): Attributes {
  const provider = GEN_AI_PROVIDER[attempt.provider];
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': attempt.model,
    'gen_ai.provider.name': provider,
    'gen_ai.system': provider,
    'keel.deployment': attempt.deployment,
    'keel.provider': attempt.provider,
    'keel.attempt.kind': attempt.kind,
    'keel.attempt.outcome': attempt.outcome,
  };
  if (attempt.outcome === 'ok') addModelAttributes(attributes, attempt);
  else attributes[ATTR_ERROR_TYPE] = attempt.outcome;
  if (attempt.status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = attempt.status;
  if (attempt.cancelled === true) attributes['keel.attempt.cancelled'] = true;
  // Not `gen_ai.response.time_to_first_chunk`: for a non-streamed answer this is the time to the whole body.
  if (attempt.ttftMs !== undefined) attributes['keel.attempt.ttft_ms'] = attempt.ttftMs;
  return attributes;
}

/** Who answered and what it cost, in GenAI terms. The upstream model is the deployment's configured one. */
function addModelAttributes(attributes: Attributes, attempt: AttemptRecord): void {
  attributes['gen_ai.response.model'] = attempt.model;
  attributes['gen_ai.provider.name'] = attributes['gen_ai.system'] = GEN_AI_PROVIDER[attempt.provider];
  if (attempt.usage === undefined) return;
  attributes['gen_ai.usage.input_tokens'] = attempt.usage.inputTokens;
  attributes['gen_ai.usage.output_tokens'] = attempt.usage.outputTokens;
  if (attempt.usage.cachedInputTokens !== undefined) attributes['gen_ai.usage.cache_read.input_tokens'] = attempt.usage.cachedInputTokens;
}

function answeringAttempt(record: RequestRecord): AttemptRecord | undefined {
  if (record.deployment === undefined) return undefined;
  return record.attempts.findLast((a) => a.deployment === record.deployment && a.outcome === 'ok');
}
