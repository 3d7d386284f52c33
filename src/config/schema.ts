/**
 * The shape of `keel.yaml`, as zod schemas: one schema is both the TypeScript type and the runtime check.
 * Every object is strict (an unknown key is a typo until proven otherwise) and every default lives in
 * `defaults.ts`, so this file says only what is allowed.
 */
import { z } from 'zod';
import { FaultSpecError, parseFaultSpec } from '../simulator/faults.js';
import { DEFAULTS } from './defaults.js';
import { statusSourcesSchema } from './status-sources-schema.js';

export const PROVIDERS = ['openai', 'openai-compatible', 'anthropic', 'gemini', 'bedrock', 'vertex', 'azure-openai'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$/, 'expected an id of letters, digits, ".", "_", ":" or "-"');

export const serverSchema = z.strictObject({
  host: z.string().min(1).default(DEFAULTS.server.host),
  port: z.number().int().min(0).max(65535).default(DEFAULTS.server.port),
  body_limit_bytes: positiveInt.default(DEFAULTS.server.bodyLimitBytes),
  drain_timeout_ms: nonNegativeInt.default(DEFAULTS.server.drainTimeoutMs),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(DEFAULTS.server.logLevel),
  /** Enables the admin API (`/admin/...`); normally `${KEEL_ADMIN_TOKEN}`. Unset or empty: the admin API is off. */
  admin_token: z
    .string()
    .refine((t) => t === '' || t.length >= 16, 'expected at least 16 characters (or nothing, to turn the admin API off)')
    .optional(),
  /** Serve without virtual keys on a non-loopback address (an open gateway anyone who can reach it may use). */
  allow_open: z.boolean().default(false),
  max_header_bytes: positiveInt.default(DEFAULTS.server.maxHeaderBytes),
  headers_timeout_ms: positiveInt.default(DEFAULTS.server.headersTimeoutMs),
  request_timeout_ms: positiveInt.default(DEFAULTS.server.requestTimeoutMs),
  max_json_depth: positiveInt.default(DEFAULTS.server.maxJsonDepth),
  max_messages: positiveInt.default(DEFAULTS.server.maxMessages),
  max_tools: positiveInt.default(DEFAULTS.server.maxTools),
  /** How far the JS heap may grow past its live size between full collections, in % (0: V8's own heuristics). `keel serve` only. */
  heap_growth_percent: z.number().int().min(0).max(1000).default(DEFAULTS.server.heapGrowthPercent),
}).refine((s) => s.headers_timeout_ms <= s.request_timeout_ms, { path: ['headers_timeout_ms'], message: 'expected headers_timeout_ms <= request_timeout_ms' });

/** What a virtual key may do: shared by keys in the config file, the admin API and `keel keys create`. */
export const keySettingsShape = {
  /** Whose requests these are; defaults to the key's name. */
  tenant: id.optional(),
  /** The model groups (names clients put in "model") the key may use; all when unset. */
  models: z.array(z.string().min(1)).min(1).optional(),
  rpm: positiveInt.optional(),
  tpm: positiveInt.optional(),
  daily_budget_usd: z.number().positive().optional(),
  monthly_budget_usd: z.number().positive().optional(),
  priority: z.enum(['interactive', 'batch']).default('interactive'),
  expires_at: z.iso.datetime({ offset: true }).optional(),
};

/** A key defined in the config file: its secret normally comes from the environment (`${APP_KEY}`). */
export const configKeySchema = z.strictObject({
  name: id,
  key: z.string().min(16, 'expected a key of at least 16 characters'),
  ...keySettingsShape,
});

export const capabilitiesSchema = z.strictObject({
  context_window: positiveInt.optional(),
  max_output_tokens: positiveInt.optional(),
  tools: z.boolean().default(true),
  vision: z.boolean().default(true),
  json_mode: z.boolean().default(true),
  prefill: z.boolean().default(false),
  streaming: z.boolean().default(true),
  /**
   * The embedding model this deployment serves on `/v1/embeddings`. Vectors of different models are not
   * interchangeable, so embeddings fail over only between deployments declaring the same one.
   */
  embedding_model: z.string().min(1).optional(),
});

export const priceSchema = z.strictObject({
  input_per_mtok: z.number().nonnegative(),
  output_per_mtok: z.number().nonnegative(),
  cached_input_per_mtok: z.number().nonnegative().optional(),
});

export const timeoutsSchema = z.strictObject({
  connect_ms: positiveInt.optional(),
  ttft_ms: positiveInt.optional(),
  idle_ms: positiveInt.optional(),
  total_ms: positiveInt.optional(),
});

export const deploymentSchema = z
  .strictObject({
    id,
    provider: z.enum(PROVIDERS),
    model: z.string().min(1),
    base_url: z.url({ protocol: /^https?$/ }).optional(),
    /** The embedded simulator answers for this deployment (its URL is known only at start). */
    simulated: z.boolean().default(false),
    api_key: z.string().min(1).optional(),
    api_key_file: z.string().min(1).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** Where the deployment runs: an AWS or Google Cloud region (required for bedrock and vertex), or a label. */
    region: z.string().min(1).optional(),
    /** The model this deployment serves whoever hosts it (`claude-sonnet-4-5`): plans try it elsewhere first. */
    family: z.string().min(1).optional(),
    /** vertex: the Google Cloud project id. */
    project: z.string().regex(/^[a-z][a-z0-9-]{4,61}[a-z0-9]$/, 'expected a Google Cloud project id').optional(),
    /** azure-openai: the `api-version` query parameter, or `v1` for the /openai/v1 surface. */
    api_version: z.string().min(1).optional(),
    /** azure-openai: send the key as `api-key` (default) or as an Entra ID bearer token. */
    auth: z.enum(['api-key', 'entra']).optional(),
    /** vertex: a service-account key file (default: application default credentials). Never inline. */
    credentials_file: z.string().min(1).optional(),
    /** bedrock: a named profile of the shared AWS config files (default: the usual AWS credential chain). */
    aws_profile: z.string().min(1).optional(),
    capabilities: capabilitiesSchema.prefault({}),
    price: priceSchema.optional(),
    timeouts: timeoutsSchema.optional(),
    max_connections: positiveInt.default(DEFAULTS.deployment.maxConnections),
  })
  .superRefine((d, ctx) => {
    if (d.provider === 'openai-compatible' && d.base_url === undefined && !d.simulated) {
      ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'expected a base_url: openai-compatible deployments have no default endpoint' });
    }
    const cloud = d.provider === 'bedrock' || d.provider === 'vertex';
    if (cloud && d.region === undefined) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: `expected a region: ${d.provider} endpoints are regional (e.g. ${d.provider === 'bedrock' ? 'us-east-1' : 'us-east5 or global'})` });
    }
    if (d.provider === 'vertex' && d.project === undefined) {
      ctx.addIssue({ code: 'custom', path: ['project'], message: 'expected a project: the Google Cloud project id vertex deployments bill to' });
    }
    if (d.provider === 'azure-openai' && d.base_url === undefined && !d.simulated) {
      ctx.addIssue({ code: 'custom', path: ['base_url'], message: 'expected a base_url: the Azure OpenAI resource endpoint, https://NAME.openai.azure.com' });
    }
    if (cloud && (d.api_key !== undefined || d.api_key_file !== undefined)) {
      const source = d.provider === 'bedrock' ? 'the AWS credential chain (environment, shared files, web identity, container role)' : 'credentials_file or application default credentials';
      ctx.addIssue({ code: 'custom', path: ['api_key'], message: `expected no api_key: ${d.provider} credentials come from ${source}` });
    }
    if (d.api_key !== undefined && d.api_key_file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['api_key_file'], message: 'expected either api_key or api_key_file, not both' });
    }
  });

const routeTarget = z.union([id, z.strictObject({ id, weight: z.number().positive().default(1) })]);

export const routeSchema = z.strictObject({
  strategy: z.enum(['priority', 'weighted', 'least-latency']).default('priority'),
  deployments: z.array(routeTarget).min(1),
  timeouts: timeoutsSchema.optional(),
  /**
   * Hedged requests: after `delay_ms` (default: the first deployment's recent p95 time to first answer)
   * also ask the next deployment, and take whichever answers first.
   */
  /** On by default: an attempt overdue against its deployment's norm is hedged (see RESILIENCE_DEFAULTS.hedge). */
  hedge: z.strictObject({ enabled: z.boolean().optional(), delay_ms: positiveInt.optional() }).optional(),
  /** What to answer when every deployment failed: a recent cached answer, else a static message. */
  degraded: z
    .strictObject({
      cache_ttl_s: positiveInt.optional(),
      message: z.string().min(1).optional(),
    })
    .optional(),
  retry: z
    .strictObject({
      max_attempts_per_deployment: positiveInt.optional(),
      backoff_base_ms: positiveInt.optional(),
      backoff_cap_ms: positiveInt.optional(),
      /** A Retry-After longer than this fails over instead of waiting. */
      max_retry_after_ms: nonNegativeInt.optional(),
    })
    .optional(),
});

/** Process-wide resilience settings: budgets and breakers are per deployment, shared by every route. */
export const resilienceSchema = z.strictObject({
  retry_budget: z
    .strictObject({ ratio: z.number().min(0).max(1).optional(), min_per_window: nonNegativeInt.optional(), window_ms: positiveInt.optional() })
    .optional(),
  breaker: z
    .strictObject({
      consecutive_failures: positiveInt.optional(),
      failure_rate: z.number().gt(0).max(1).optional(),
      min_requests: positiveInt.optional(),
      window_ms: positiveInt.optional(),
      open_ms: positiveInt.optional(),
      max_open_ms: positiveInt.optional(),
      half_open_probes: positiveInt.optional(),
    })
    .optional(),
  adaptive_throttle: z.strictObject({ enabled: z.boolean().optional(), k: z.number().min(1).optional(), window_ms: positiveInt.optional() }).optional(),
  /** Whole-gateway admission: concurrency, then a short priority queue, then 429. */
  admission: z.strictObject({ max_concurrent: positiveInt.optional(), max_queue: nonNegativeInt.optional(), max_wait_ms: nonNegativeInt.optional() }).optional(),
  /** Adaptive (AIMD) concurrency limit per deployment. */
  concurrency: z.strictObject({ initial: positiveInt.optional(), min: positiveInt.optional(), max: positiveInt.optional() }).optional(),
  /** Probes of open breakers, so traffic returns within seconds of a recovery (on by default). */
  recovery_probe: z
    .strictObject({ enabled: z.boolean().optional(), interval_ms: positiveInt.optional(), max_per_day: nonNegativeInt.optional(), timeout_ms: positiveInt.optional() })
    .optional(),
});

/** A simulator fault, checked by the simulator's own parser so the two can never disagree on what exists. */
const faultSchema = z.looseObject({ type: z.string() }).superRefine((fault, ctx) => {
  try {
    parseFaultSpec(fault);
  } catch (err) {
    if (!(err instanceof FaultSpecError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message.replace(/^fault\./, 'field ') });
  }
});

export const simulatorSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(0),
  seed: z.number().int().default(1),
  token_delay_ms: nonNegativeInt.default(DEFAULTS.simulator.tokenDelayMs),
  /** Per-model behaviour of the simulated models (context window, latency, a fixed reply). */
  models: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        context_window: positiveInt.optional(),
        latency_ms: nonNegativeInt.optional(),
        token_delay_ms: nonNegativeInt.optional(),
        reply: z.string().optional(),
      }),
    )
    .default([]),
  /** Faults to inject from the start, by simulated model name. */
  faults: z.record(z.string(), faultSchema).default({}),
});

export const configSchema = z
  .strictObject({
    server: serverSchema.prefault({}),
    deployments: z.array(deploymentSchema).min(1),
    routes: z.record(id, routeSchema).default({}),
    resilience: resilienceSchema.prefault({}),
    /** Where Keel keeps history: rollups, incidents, keys, the audit log (one SQLite file by default). */
    store: z
      .strictObject({
        /** Default: `keel.db` in the working directory; an inline (test) config defaults to `:memory:`. */
        path: z.string().min(1).optional(),
        /** PostgreSQL instead of SQLite, for several Keel instances sharing history. */
        postgres_url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').optional(),
        postgres_schema: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'expected a lower-case SQL identifier').optional(),
        /** How often recorded rollups are written (a crash loses at most this much unwritten history). */
        flush_interval_ms: positiveInt.optional(),
        retention_days: z
          .strictObject({ rollups: positiveInt.optional(), samples: positiveInt.optional(), incidents: positiveInt.optional(), responses: positiveInt.optional() })
          .optional(),
      })
      .prefault({}),
    /** Several instances: who runs the incident detector and the probes (exactly one at a time). */
    cluster: z
      .strictObject({
        redis_url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL').optional(),
        /** `none`: this instance always leads (a single instance). */
        lease: z.enum(['none', 'redis', 'postgres']).default('none'),
        lease_ttl_ms: positiveInt.optional(),
        /**
         * With Redis: the share of a key's per-minute limit a replica takes from Redis at once and then
         * admits locally (src/cluster/bucket-leases.ts); 0 makes every take one atomic Redis script.
         */
        limit_lease_share: z.number().min(0).max(0.1).default(0.01),
      })
      .prefault({}),
    health: z
      .strictObject({
        /** Passive health windows (defaults in src/health/health-defaults.ts, with why). */
        windows: z
          .strictObject({ bucket_ms: positiveInt.optional(), short_window_ms: positiveInt.optional(), long_window_ms: positiveInt.optional(), min_attempts_short: positiveInt.optional(), min_attempts_long: positiveInt.optional() })
          .optional(),
        /** The incident detector's timings. */
        incidents: z
          .strictObject({
            evaluate_every_ms: positiveInt.optional(),
            open_after_ms: positiveInt.optional(),
            identify_after_ms: positiveInt.optional(),
            monitor_after_ms: positiveInt.optional(),
            resolve_after_ms: positiveInt.optional(),
            reopen_after_ms: positiveInt.optional(),
          })
          .optional(),
        probes: z
          .strictObject({ enabled: z.boolean().default(false), interval_ms: positiveInt.optional(), daily_cost_cap_usd: z.number().nonnegative().optional() })
          .optional(),
      })
      .prefault({}),
    /** Providers' public status pages, read beside Keel's own measurements (off by default). */
    status_sources: statusSourcesSchema,
    status_page: z.strictObject({ enabled: z.boolean().default(true), title: z.string().min(1).default('Keel status'), public_url: z.url().optional() }).prefault({}),
    /** SLOs on Keel's own routes, from an OpenSLO file; burn-rate alerts go to these webhooks. */
    slo: z
      .strictObject({
        openslo_file: z.string().min(1).optional(),
        webhooks: z.array(z.strictObject({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16) })).default([]),
      })
      .prefault({}),
    /** Incident notifications: HMAC-signed POSTs. */
    webhooks: z.array(z.strictObject({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(16) })).default([]),
    telemetry: z
      .strictObject({
        /** Serve Prometheus metrics at GET /metrics. */
        metrics: z.boolean().default(true),
        /** OTLP/HTTP collector base URL; tracing is off (and free) when unset. */
        otlp_endpoint: z.url({ protocol: /^https?$/ }).optional(),
        otlp_headers: z.record(z.string(), z.string()).default({}),
        /** The OTLP/HTTP encoding: binary protobuf (OTLP's default, accepted by every collector) or JSON. */
        otlp_protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
        /** Share of plain successes traced; failed, retried, hedged, failed-over and degraded requests always are. */
        trace_success_ratio: z.number().min(0).max(1).default(1),
        service_name: z.string().min(1).default('keel'),
      })
      .prefault({}),
    simulator: simulatorSchema.optional(),
    /** Virtual keys kept in the config file (besides those created with `keel keys` or the admin API). */
    keys: z.array(configKeySchema).default([]),
  })
  .superRefine((config, ctx) => {
    if (config.cluster.lease === 'redis' && config.cluster.redis_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'redis_url'], message: 'expected a redis_url: the lease is in Redis' });
    }
    if (config.cluster.lease === 'postgres' && config.store.postgres_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['store', 'postgres_url'], message: 'expected a postgres_url: the lease is a PostgreSQL advisory lock' });
    }
    const ids = new Set<string>();
    config.deployments.forEach((d, i) => {
      if (ids.has(d.id)) ctx.addIssue({ code: 'custom', path: ['deployments', i, 'id'], message: `expected a unique id: "${d.id}" is used twice` });
      ids.add(d.id);
      if (d.simulated && config.simulator === undefined) {
        ctx.addIssue({ code: 'custom', path: ['deployments', i, 'simulated'], message: 'expected a top-level "simulator" section: this deployment is simulated' });
      }
    });
    const keyNames = new Set<string>();
    config.keys.forEach((k, i) => {
      if (keyNames.has(k.name)) ctx.addIssue({ code: 'custom', path: ['keys', i, 'name'], message: `expected a unique key name: "${k.name}" is used twice` });
      keyNames.add(k.name);
    });
    for (const [name, source] of Object.entries(config.status_sources.sources)) {
      source.providers?.forEach((p, i) => {
        if (!(PROVIDERS as readonly string[]).includes(p)) ctx.addIssue({ code: 'custom', path: ['status_sources', 'sources', name, 'providers', i], message: `expected one of: ${PROVIDERS.join(', ')}` });
      });
      source.components?.forEach((c, i) =>
        c.deployments?.forEach((d, j) => {
          if (!ids.has(d)) ctx.addIssue({ code: 'custom', path: ['status_sources', 'sources', name, 'components', i, 'deployments', j], message: `expected the id of a deployment, got "${d}"` });
        }),
      );
    }
    for (const [name, route] of Object.entries(config.routes)) {
      route.deployments.forEach((target, i) => {
        const targetId = typeof target === 'string' ? target : target.id;
        if (!ids.has(targetId)) {
          ctx.addIssue({
            code: 'custom',
            path: ['routes', name, 'deployments', i],
            message: `expected the id of a deployment (one of: ${[...ids].join(', ')}), got "${targetId}"`,
          });
        }
      });
    }
  });

export type KeelConfigInput = z.input<typeof configSchema>;
export type ConfigKey = z.output<typeof configKeySchema>;
export type KeelConfig = z.output<typeof configSchema>;
export type DeploymentConfig = z.output<typeof deploymentSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type TimeoutsConfig = z.output<typeof timeoutsSchema>;
