/**
 * Telemetry: Prometheus metrics and OpenTelemetry traces derived from the router's events, and the
 * structured logger. Policies never log or count; these modules subscribe.
 */
export { createLogger, type Logger } from './logger.js';
export { BREAKER_STATE_VALUE, LLM_LATENCY_BUCKETS_S, createMetrics, type Metrics, type MetricsOptions } from './metrics.js';
export { createTracing, tracesUrl, type OtlpProtocol, type Tracing, type TracingOptions } from './tracing.js';
