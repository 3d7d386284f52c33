import { describe, expect, it } from 'vitest';
import { openTracing } from './open-tracing.js';

const router = { events: { on: () => () => undefined } } as unknown as Parameters<typeof openTracing>[0];

describe('openTracing', () => {
  it('is off, and loads no OpenTelemetry, without an endpoint', async () => {
    expect((await openTracing(router, {})).enabled).toBe(false);
    expect((await openTracing(router, { otlpEndpoint: '  ' })).enabled).toBe(false);
  });

  it('starts the OTLP exporter when an endpoint is set', async () => {
    const tracing = await openTracing(router, { otlpEndpoint: 'http://127.0.0.1:9/v1/traces' });
    expect(tracing.enabled).toBe(true);
    await tracing.shutdown();
  });
});
