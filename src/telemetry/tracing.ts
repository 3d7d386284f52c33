/**
 * OpenTelemetry traces of what the router did, exported over OTLP/HTTP (JSON). The router is never
 * instrumented inline: when a request finishes, its `RequestRecord` already holds every attempt with its
 * start time and duration, so the spans are built after the fact with explicit start and end times — a
 * SERVER span for the client request and a CLIENT child per upstream attempt. Without an endpoint nothing
 * is subscribed and nothing is built, so tracing that is off costs the request path nothing. Attributes
 * are bounded facts (route, deployment, outcome, status, token counts); prompts, answers, upstream error
 * messages, tenants and keys are never exported. The provider is not registered globally: Keel's spans
 * go to Keel's exporter, and an application embedding Keel keeps its own global tracer provider.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
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
  /**
   * Share of plain successes traced (answered by the first attempt, not degraded); default 1. Every other
   * request — failed, retried, hedged, failed over, degraded — is always traced: spans are built after the
   * request ended, so Keel can keep exactly the ones worth reading and sample only the uneventful rest.
   */
  successSampleRatio?: number;
  /** For tests: the sampling draw. */
  random?: () => number;
}

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

/**
 * GenAI semantic-convention attribute names. The conventions are incubating (the JS package marks them
 * deprecated in favour of a separate GenAI repository), so they are copied here, as OTel advises, rather
 * than imported from `@opentelemetry/semantic-conventions/incubating`.
 */
const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  // The older name for the provider; many backends still read only this one.
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
} as const;

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
  const exporter = new OTLPTraceExporter({
    url: tracesUrl(options.otlpEndpoint),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    timeoutMillis: TRACING_DEFAULTS.exportTimeoutMs,
  });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? TRACING_DEFAULTS.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('keel');
  const ratio = options.successSampleRatio ?? 1;
  const random = options.random ?? Math.random;
  const unsubscribe = router.events.on('request', (record) => {
    if (ratio < 1 && isPlainSuccess(record) && random() >= ratio) return;
    recordRequestSpans(tracer, record);
  });
  return {
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      unsubscribe();
      await provider.shutdown();
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

/** The request's span and one child span per attempt, with the times the router recorded. */
export function recordRequestSpans(tracer: Tracer, record: RequestRecord): void {
  const answered = answeringAttempt(record);
  const attributes: Attributes = {
    [GEN_AI.operationName]: 'chat',
    [GEN_AI.requestModel]: record.route,
    [GEN_AI.requestStream]: record.stream,
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
  if (answered !== undefined) Object.assign(attributes, modelAttributes(answered));
  if (record.outcome !== 'ok') attributes[ATTR_ERROR_TYPE] = record.outcome;

  const span = tracer.startSpan(`chat ${record.route}`, { kind: SpanKind.SERVER, startTime: record.startedAtMs, attributes }, ROOT_CONTEXT);
  // The status message is the error code, never the upstream's text, which may quote the prompt.
  if (record.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: record.outcome });
  const parent = trace.setSpan(ROOT_CONTEXT, span);
  for (const attempt of record.attempts) {
    const failed = attempt.outcome !== 'ok';
    const child = tracer.startSpan(
      `chat ${attempt.model}`,
      { kind: SpanKind.CLIENT, startTime: attempt.startedAtMs, attributes: attemptAttributes(attempt) },
      parent,
    );
    if (failed) child.setStatus({ code: SpanStatusCode.ERROR, message: attempt.outcome });
    child.end(attempt.startedAtMs + attempt.latencyMs);
  }
  span.end(record.startedAtMs + record.latencyMs);
}

function attemptAttributes(attempt: AttemptRecord): Attributes {
  const attributes: Attributes = {
    [GEN_AI.operationName]: 'chat',
    [GEN_AI.requestModel]: attempt.model,
    [GEN_AI.providerName]: GEN_AI_PROVIDER[attempt.provider],
    [GEN_AI.system]: GEN_AI_PROVIDER[attempt.provider],
    'keel.deployment': attempt.deployment,
    'keel.provider': attempt.provider,
    'keel.attempt.kind': attempt.kind,
    'keel.attempt.outcome': attempt.outcome,
  };
  if (attempt.outcome === 'ok') Object.assign(attributes, modelAttributes(attempt));
  else attributes[ATTR_ERROR_TYPE] = attempt.outcome;
  if (attempt.status !== undefined) attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = attempt.status;
  if (attempt.cancelled === true) attributes['keel.attempt.cancelled'] = true;
  // Not `gen_ai.response.time_to_first_chunk`: for a non-streamed answer this is the time to the whole body.
  if (attempt.ttftMs !== undefined) attributes['keel.attempt.ttft_ms'] = attempt.ttftMs;
  return attributes;
}

/** Who answered and what it cost, in GenAI terms. The upstream model is the deployment's configured one. */
function modelAttributes(attempt: AttemptRecord): Attributes {
  const attributes: Attributes = {
    [GEN_AI.responseModel]: attempt.model,
    [GEN_AI.providerName]: GEN_AI_PROVIDER[attempt.provider],
    [GEN_AI.system]: GEN_AI_PROVIDER[attempt.provider],
  };
  if (attempt.usage !== undefined) {
    attributes[GEN_AI.inputTokens] = attempt.usage.inputTokens;
    attributes[GEN_AI.outputTokens] = attempt.usage.outputTokens;
    if (attempt.usage.cachedInputTokens !== undefined) attributes[GEN_AI.cacheReadInputTokens] = attempt.usage.cachedInputTokens;
  }
  return attributes;
}

function answeringAttempt(record: RequestRecord): AttemptRecord | undefined {
  if (record.deployment === undefined) return undefined;
  return record.attempts.findLast((a) => a.deployment === record.deployment && a.outcome === 'ok');
}
