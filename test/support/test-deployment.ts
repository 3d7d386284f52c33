import type { Deployment } from '../../src/config/resolve-config.js';

/**
 * A deployment for provider tests: every field filled, generous timeouts (tests run on slow, busy
 * machines), overridable field by field.
 */
export function testDeployment(fields: Pick<Deployment, 'id' | 'provider' | 'model'> & Partial<Deployment>): Deployment {
  return {
    baseUrl: 'http://127.0.0.1:1',
    apiKey: undefined,
    headers: {},
    region: undefined,
    capabilities: { tools: true, vision: true, jsonMode: true, prefill: false, streaming: true },
    price: undefined,
    timeouts: { connectMs: 10_000, ttftMs: 20_000, idleMs: 20_000, totalMs: 60_000 },
    maxConnections: 8,
    ...fields,
  };
}
