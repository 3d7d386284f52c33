import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from './silent-logger.js';

/**
 * A real Keel on port 0 in front of its embedded simulator (no token delay, and no adaptive throttle so
 * attempt counts are exact), with the given deployments (all simulated) and routes, and any other
 * top-level settings a test needs (`server`, `store`...).
 */
export function startSimulatedKeel(config: { deployments: Record<string, unknown>[]; routes?: Record<string, unknown>; settings?: Record<string, unknown> }): Promise<RunningKeel> {
  return startKeel({
    port: 0,
    logger: silentLogger(),
    config: {
      ...config.settings,
      simulator: { token_delay_ms: 0, models: [] },
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: config.deployments.map((d) => ({ simulated: true, ...d })),
      ...(config.routes === undefined ? {} : { routes: config.routes }),
    },
  });
}

/** Between cases: no fault, no recorded request, and no breaker or budget left behind by the last case. */
export function resetSimulatedKeel(keel: RunningKeel): void {
  keel.simulator!.clearFaults();
  keel.simulator!.resetStats();
  keel.gateway.router.resetPolicies();
}
