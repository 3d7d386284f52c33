/**
 * Starts the simulator a config's `simulator` section describes (for `keel serve` and for the library):
 * the demo, drills and tests run Keel against it with no API key.
 */
import type { KeelConfig } from '../config/schema.js';
import { SIMULATED_AWS_CREDENTIALS, SIMULATED_GOOGLE_TOKEN } from '../config/simulated-credentials.js';
import type { FaultSpec, Simulator } from '../simulator/index.js';

export async function startEmbeddedSimulator(section: NonNullable<KeelConfig['simulator']>): Promise<Simulator> {
  // Loaded only when a config asks for the simulator: a Keel on real providers never loads it.
  const { startSimulator } = await import('../simulator/index.js');
  const simulator = await startSimulator({
    port: section.port,
    seed: section.seed,
    tokenDelayMs: section.token_delay_ms,
    // Simulated cloud deployments sign and authorise with these, so the real signing path runs.
    aws: SIMULATED_AWS_CREDENTIALS,
    googleToken: SIMULATED_GOOGLE_TOKEN,
    models: section.models.map((m) => ({
      name: m.name,
      ...(m.context_window === undefined ? {} : { contextWindow: m.context_window }),
      ...(m.latency_ms === undefined ? {} : { latencyMs: m.latency_ms }),
      ...(m.token_delay_ms === undefined ? {} : { tokenDelayMs: m.token_delay_ms }),
      ...(m.reply === undefined ? {} : { reply: m.reply }),
    })),
  });
  for (const [model, fault] of Object.entries(section.faults)) simulator.setFault(model, fault as FaultSpec);
  return simulator;
}
