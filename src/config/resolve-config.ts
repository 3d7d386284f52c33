/**
 * Turns a validated config into what the running gateway uses: secrets read from files and registered for
 * redaction, base URLs defaulted per provider, simulated deployments pointed at the embedded simulator,
 * and per-deployment timeouts merged over the defaults.
 */
import { readFileSync } from 'node:fs';
import { secrets } from '../core/secrets.js';
import { RESILIENCE_DEFAULTS } from '../resilience/defaults.js';
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
  /** The model served, whoever hosts it; plans prefer the same family elsewhere before another model. */
  family?: string;
  /** vertex: the Google Cloud project. */
  project?: string;
  /** azure-openai: the api-version (`v1`: the /openai/v1 surface). */
  apiVersion?: string;
  /** azure-openai: how the key is presented. */
  azureAuth?: 'api-key' | 'entra';
  /** vertex: a service-account key file; bedrock: a shared-config profile. Paths and names, not secrets. */
  credentialsFile?: string;
  awsProfile?: string;
  /** Answered by the embedded simulator, which takes its own fixed cloud credentials. */
  simulated?: boolean;
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
  /** Whether an overdue attempt is hedged; `delayMs` set: hedge after that long instead of the norm. */
  hedge: { enabled: boolean; delayMs?: number };
  /** Resolved against RESILIENCE_DEFAULTS here, once, so the request path reads plain numbers. */
  retry: {
    maxAttemptsPerDeployment: number;
    backoffBaseMs: number;
    backoffCapMs: number;
    maxRetryAfterMs: number;
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
  // Regional: filled in from the deployment's region by `cloudBaseUrl`.
  bedrock: undefined,
  vertex: undefined,
  'azure-openai': undefined,
};

/** The public endpoint of a regional cloud provider (Vertex's `global` region has no region prefix). */
function cloudBaseUrl(d: DeploymentConfig): string | undefined {
  if (d.region === undefined) return undefined;
  if (d.provider === 'bedrock') return `https://bedrock-runtime.${d.region}.amazonaws.com`;
  if (d.provider === 'vertex') return d.region === 'global' ? 'https://aiplatform.googleapis.com' : `https://${d.region}-aiplatform.googleapis.com`;
  return undefined;
}

/** Where each wire format lives under the simulator's root URL. */
const SIMULATOR_PREFIX: Record<ProviderName, string> = {
  openai: '/v1',
  'openai-compatible': '/v1',
  anthropic: '',
  gemini: '',
  bedrock: '',
  vertex: '',
  'azure-openai': '',
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
    let baseUrl = d.base_url ?? DEFAULT_BASE_URL[d.provider] ?? cloudBaseUrl(d);
    // A simulated deployment with a base_url reaches the simulator through it (a drill's gate).
    if (d.simulated && d.base_url === undefined) {
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
      ...(d.family === undefined ? {} : { family: d.family }),
      ...(d.project === undefined ? {} : { project: d.project }),
      ...(d.api_version === undefined ? {} : { apiVersion: d.api_version }),
      ...(d.auth === undefined ? {} : { azureAuth: d.auth }),
      ...(d.credentials_file === undefined ? {} : { credentialsFile: d.credentials_file }),
      ...(d.aws_profile === undefined ? {} : { awsProfile: d.aws_profile }),
      ...(d.simulated ? { simulated: true } : {}),
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
      hedge: resolveHedge(r.hedge),
      degraded: {
        ...(r.degraded?.cache_ttl_s === undefined ? {} : { cacheTtlMs: r.degraded.cache_ttl_s * 1000 }),
        ...(r.degraded?.message === undefined ? {} : { message: r.degraded.message }),
      },
      retry: resolveRetry(r.retry),
    });
  }
  return { server: config.server, resilience: config.resilience, telemetry: config.telemetry, deployments, routes, source: options.source };
}

function resolveHedge(hedge: RouteConfig['hedge']): Route['hedge'] {
  const enabled = hedge?.enabled ?? RESILIENCE_DEFAULTS.hedge.enabled;
  return hedge?.delay_ms === undefined ? { enabled } : { enabled, delayMs: hedge.delay_ms };
}

function resolveRetry(retry: RouteConfig['retry']): Route['retry'] {
  return {
    maxAttemptsPerDeployment: retry?.max_attempts_per_deployment ?? RESILIENCE_DEFAULTS.retry.maxAttemptsPerDeployment,
    backoffBaseMs: retry?.backoff_base_ms ?? RESILIENCE_DEFAULTS.backoff.baseMs,
    backoffCapMs: retry?.backoff_cap_ms ?? RESILIENCE_DEFAULTS.backoff.capMs,
    maxRetryAfterMs: retry?.max_retry_after_ms ?? RESILIENCE_DEFAULTS.retryAfter.maxWaitMs,
  };
}

/** The route a client gets by naming a deployment's own model (or id): that deployment alone, defaults. */
export function soloRoute(name: string, deployment: Deployment): Route {
  return {
    name,
    strategy: 'priority',
    targets: [{ deployment, weight: 1 }],
    totalMs: deployment.timeouts.totalMs,
    timeoutOverrides: {},
    degraded: {},
    hedge: resolveHedge(undefined),
    retry: resolveRetry(undefined),
  };
}
