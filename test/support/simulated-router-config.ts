import { parseConfig } from '../../src/config/load-config.js';
import { resolveConfig, type RuntimeConfig } from '../../src/config/resolve-config.js';
import type { SimModelSpec } from '../../src/simulator/index.js';

/** The simulator's models for `twins`: both give the same answer, so one can finish the other's. */
export const TWIN_REPLY = 'one two three four five six seven eight';
export const TWIN_MODELS: SimModelSpec[] = [
  { name: 'sim-primary', reply: TWIN_REPLY },
  { name: 'sim-twin', reply: TWIN_REPLY },
];

/**
 * The router's config for unit tests against a running simulator: two OpenAI deployments (`primary`,
 * `fallback`) behind the `smart` route, `primary` alone behind `solo`, `primary` then `twin` behind
 * `twins` (start the simulator with `TWIN_MODELS` and they answer alike, as the same model in two
 * regions would), and an Anthropic one (`claude`) for cross-format requests. Hedging is off unless a delay is given (so the order of attempts is
 * deterministic), the throttle is off (breakers alone decide), backoffs are a few ms, and the retry budget
 * never runs dry in a test.
 */
export function simulatedRouterConfig(simulatorUrl: string, options: { hedgeDelayMs?: number; maxAttemptsPerDeployment?: number } = {}): RuntimeConfig {
  const hedge = options.hedgeDelayMs === undefined ? { enabled: false } : { enabled: true, delay_ms: options.hedgeDelayMs };
  const retry = { max_attempts_per_deployment: options.maxAttemptsPerDeployment ?? 2, backoff_base_ms: 1, backoff_cap_ms: 5 };
  const config = parseConfig(
    {
      simulator: { token_delay_ms: 0 },
      resilience: { breaker: { consecutive_failures: 3 }, adaptive_throttle: { enabled: false }, retry_budget: { min_per_window: 100 } },
      deployments: [
        { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true },
        { id: 'fallback', provider: 'openai', model: 'sim-fallback', simulated: true },
        { id: 'twin', provider: 'openai', model: 'sim-twin', simulated: true },
        { id: 'claude', provider: 'anthropic', model: 'sim-claude', simulated: true },
      ],
      routes: {
        smart: { deployments: ['primary', 'fallback'], strategy: 'priority', hedge, retry },
        solo: { deployments: ['primary'], hedge, retry },
        twins: { deployments: ['primary', 'twin'], strategy: 'priority', hedge, retry },
      },
    },
    'simulated-router-config',
    {},
  );
  return resolveConfig(config, { source: 'simulated-router-config', simulatorUrl });
}
