/**
 * The config Keel uses when it is given none. With provider keys in the environment it fronts those
 * providers; with none, it starts the embedded simulator with a flaky primary and a steady fallback, so a
 * newcomer sees failover on the first request.
 */
import type { KeelConfigInput } from './schema.js';

type Env = Record<string, string | undefined>;

/** Providers whose keys Keel looks for, with a sensible default model for each. */
const FROM_ENV = [
  { env: 'OPENAI_API_KEY', id: 'openai', provider: 'openai', model: 'gpt-4.1-mini', contextWindow: 1_047_576 },
] as const;

export function simulatedConfig(): KeelConfigInput {
  return {
    simulator: {
      // Half the primary's requests fail with 503 "overloaded": enough to see failover at once.
      faults: { 'sim-flaky': { type: 'error', status: 503, kind: 'overloaded', rate: 0.5 } },
    },
    deployments: [
      { id: 'sim-primary', provider: 'openai', model: 'sim-flaky', simulated: true, capabilities: { context_window: 128_000 } },
      { id: 'sim-fallback', provider: 'openai-compatible', model: 'sim-steady', simulated: true, capabilities: { context_window: 128_000 } },
    ],
    routes: {
      // One attempt per deployment, so each primary failure shows as a failover in the response headers.
      smart: { deployments: ['sim-primary', 'sim-fallback'], retry: { max_attempts_per_deployment: 1 } },
      fast: { deployments: ['sim-fallback'] },
    },
  };
}

/** A config from provider keys in the environment, or undefined when there are none. */
export function configFromEnv(env: Env): KeelConfigInput | undefined {
  const present = FROM_ENV.filter((p) => (env[p.env] ?? '') !== '');
  if (present.length === 0) return undefined;
  return {
    deployments: present.map((p) => ({
      id: p.id,
      provider: p.provider,
      model: p.model,
      api_key: `\${${p.env}}`,
      capabilities: { context_window: p.contextWindow },
    })),
    routes: { smart: { deployments: present.map((p) => p.id) } },
  };
}
