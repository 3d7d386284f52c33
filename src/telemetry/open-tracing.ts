/**
 * Tracing for `keel serve`, paid for only when it is on: the span encoder and the OTel exporter's OTLP/HTTP
 * transport (about 100 modules with the OTel API and core they need) are imported only when an OTLP
 * endpoint is configured.
 */
import type { Router } from '../router/router.js';
import type { Tracing, TracingOptions } from './tracing.js';

export const TRACING_OFF: Tracing = {
  enabled: false,
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};

export async function openTracing(router: Pick<Router, 'events'>, options: TracingOptions): Promise<Tracing> {
  if (options.otlpEndpoint === undefined || options.otlpEndpoint.trim() === '') return TRACING_OFF;
  const { createTracing } = await import('./tracing.js');
  return createTracing(router, options);
}
