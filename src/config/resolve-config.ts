/**
 * Turns a validated config into what the running gateway uses: secrets read from files and registered for
 * redaction, base URLs defaulted per provider, simulated deployments pointed at the embedded simulator,
 * and per-deployment timeouts merged over the defaults.
 */
import { readFileSync } from 'node:fs';
import { secrets } from '../core/secrets.js';
import { DEFAULTS } from './defaults.js';
import { ConfigError } from './load-config.js';
import type { DeploymentConfig, KeelConfig, ProviderName, RouteConfig, TimeoutsConfig } from './schema.js';

export interface Timeouts {
  connectMs: number;
  ttftMs: number;
  idleMs: number;
  totalMs: number;
}

export interface Capabilities {
  contextWindow?: number;
  maxOutputTokens?: number;
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  prefill: boolean;
  streaming: boolean;
  /** The embedding model served on `/v1/embeddings`, when the deployment serves one. */
  embeddingModel?: string;
}

export interface Deployment {
  id: string;
  provider: ProviderName;
  /** The upstream model name sent to the provider. */
  model: string;
  /** Without a trailing slash, e.g. https://api.openai.com/v1 */
  baseUrl: string;
  /** A secret: never log it, never put it in an error. */
  apiKey: string | undefined;
  headers: Record<string, string>;
  region: string | undefined;
  capabilities: Capabilities;
  price: DeploymentConfig['price'];
  timeouts: Timeouts;
  maxConnections: number;
}

export interface Route {
  name: string;
  strategy: RouteConfig['strategy'];
  targets: { deployment: Deployment; weight: number }[];
  /** The deadline for the whole request, every retry and failover included. */
  totalMs: number;
  /** Per-attempt timeouts set on the route; they win over each deployment's own. */
  timeoutOverrides: Partial<Timeouts>;
  degraded: { cacheTtlMs?: number; message?: string };
  /** Set when the route hedges; `delayMs` undefined means "the recent p95". */
  hedge: { delayMs?: number } | undefined;
  retry: {
    maxAttemptsPerDeployment: number | undefined;
    backoffBaseMs: number | undefined;
    backoffCapMs: number | undefined;
    maxRetryAfterMs: number | undefined;
  };
}

export interface RuntimeConfig {
  server: KeelConfig['server'];
  resilience: KeelConfig['resilience'];
  telemetry: KeelConfig['telemetry'];
  deployments: Map<string, Deployment>;
  routes: Map<string, Route>;
  source: string;
}

const DEFAULT_BASE_URL: Record<ProviderName, string | undefined> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  'openai-compatible': undefined,
};

/** Where each wire format lives under the simulator's root URL. */
const SIMULATOR_PREFIX: Record<ProviderName, string> = {
  openai: '/v1',
  'openai-compatible': '/v1',
  anthropic: '',
  gemini: '',
};

function mergeTimeouts(layer: TimeoutsConfig | undefined): Timeouts {
  return {
    connectMs: layer?.connect_ms ?? DEFAULTS.timeouts.connectMs,
    ttftMs: layer?.ttft_ms ?? DEFAULTS.timeouts.ttftMs,
    idleMs: layer?.idle_ms ?? DEFAULTS.timeouts.idleMs,
    totalMs: layer?.total_ms ?? DEFAULTS.timeouts.totalMs,
  };
}

export interface ResolveOptions {
  source: string;
  /** Root URL of the embedded simulator, required when a deployment is `simulated`. */
  simulatorUrl?: string;
}

export function resolveConfig(config: KeelConfig, options: ResolveOptions): RuntimeConfig {
  const deployments = new Map<string, Deployment>();
  config.deployments.forEach((d, i) => {
    let apiKey = d.api_key;
    if (d.api_key_file !== undefined) {
      try {
        apiKey = readFileSync(d.api_key_file, 'utf8').trim();
      } catch (err) {
        throw new ConfigError(options.source, [
          { path: `deployments[${i}].api_key_file`, message: `cannot read the key file (${(err as NodeJS.ErrnoException).code ?? 'error'})` },
        ]);
      }
    }
    secrets.add(apiKey);
    let baseUrl = d.base_url ?? DEFAULT_BASE_URL[d.provider];
    if (d.simulated) {
      if (options.simulatorUrl === undefined) throw new Error(`deployment ${d.id} is simulated but no simulator is running`);
      baseUrl = options.simulatorUrl + SIMULATOR_PREFIX[d.provider];
    }
    if (baseUrl === undefined) throw new ConfigError(options.source, [{ path: `deployments[${i}].base_url`, message: 'expected a base_url' }]);
    const caps = d.capabilities;
    deployments.set(d.id, {
      id: d.id,
      provider: d.provider,
      model: d.model,
      baseUrl: baseUrl.replace(/\/+$/, ''),
      apiKey,
      headers: d.headers,
      region: d.region,
      capabilities: {
        ...(caps.context_window === undefined ? {} : { contextWindow: caps.context_window }),
        ...(caps.max_output_tokens === undefined ? {} : { maxOutputTokens: caps.max_output_tokens }),
        tools: caps.tools,
        vision: caps.vision,
        jsonMode: caps.json_mode,
        prefill: caps.prefill,
        streaming: caps.streaming,
        ...(caps.embedding_model === undefined ? {} : { embeddingModel: caps.embedding_model }),
      },
      price: d.price,
      timeouts: mergeTimeouts(d.timeouts),
      maxConnections: d.max_connections,
    });
  });

  const routes = new Map<string, Route>();
  for (const [name, r] of Object.entries(config.routes)) {
    routes.set(name, {
      name,
      strategy: r.strategy,
      targets: r.deployments.map((t) => {
        const targetId = typeof t === 'string' ? t : t.id;
        // The schema checked every id exists.
        return { deployment: deployments.get(targetId)!, weight: typeof t === 'string' ? 1 : t.weight };
      }),
      totalMs: r.timeouts?.total_ms ?? DEFAULTS.timeouts.totalMs,
      timeoutOverrides: {
        ...(r.timeouts?.connect_ms === undefined ? {} : { connectMs: r.timeouts.connect_ms }),
        ...(r.timeouts?.ttft_ms === undefined ? {} : { ttftMs: r.timeouts.ttft_ms }),
        ...(r.timeouts?.idle_ms === undefined ? {} : { idleMs: r.timeouts.idle_ms }),
      },
      hedge: r.hedge === undefined ? undefined : r.hedge.delay_ms === undefined ? {} : { delayMs: r.hedge.delay_ms },
      degraded: {
        ...(r.degraded?.cache_ttl_s === undefined ? {} : { cacheTtlMs: r.degraded.cache_ttl_s * 1000 }),
        ...(r.degraded?.message === undefined ? {} : { message: r.degraded.message }),
      },
      retry: {
        maxAttemptsPerDeployment: r.retry?.max_attempts_per_deployment,
        backoffBaseMs: r.retry?.backoff_base_ms,
        backoffCapMs: r.retry?.backoff_cap_ms,
        maxRetryAfterMs: r.retry?.max_retry_after_ms,
      },
    });
  }
  return { server: config.server, resilience: config.resilience, telemetry: config.telemetry, deployments, routes, source: options.source };
}
