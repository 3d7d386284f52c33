/**
 * Starts a whole Keel: finds the config (a file, provider keys in the environment, or the simulated demo),
 * starts the embedded simulator when the config asks for one, and serves the gateway. Used by `keel serve`
 * and by end-to-end tests, so what the tests start is what users run.
 */
import type { AnswerCache } from '../router/response-cache.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { configFromEnv, simulatedConfig } from '../config/default-config.js';
import { loadConfigFile, parseConfig } from '../config/load-config.js';
import { resolveConfig, type RuntimeConfig } from '../config/resolve-config.js';
import type { KeelConfig } from '../config/schema.js';
import { closeAllPools, providerFor } from '../providers/index.js';
import type { Simulator } from '../simulator/index.js';
import { startEmbeddedSimulator } from './embedded-simulator.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { openTracing } from '../telemetry/open-tracing.js';
import { systemClock } from '../core/clock.js';
import { RollupRecorder, scheduleRetention, type Store } from '../store/index.js';
import { openStore, startBackgroundServices, type BackgroundServices } from './background-services.js';
import { createGateway, type Gateway } from './gateway-server.js';
import { literalSecretPaths, rawConfig, registerHeaderSecrets } from './auth/config-secrets.js';
import { prepareSecurity, type PreparedSecurity } from './auth/gateway-security.js';

export interface StartOptions {
  /** A config file path; otherwise KEEL_CONFIG, then ./keel.yaml, then the environment, then the demo. */
  configPath?: string;
  /** An already-built config document (tests), instead of a file. */
  config?: unknown;
  port?: number;
  host?: string;
  env?: Record<string, string | undefined>;
  logger?: Logger;
  /** Serve without virtual keys on a non-loopback address (`--allow-open`). */
  allowOpen?: boolean;
}

export interface RunningKeel {
  url: string;
  store: Store;
  /** Health, incidents, the status page. */
  services: BackgroundServices;
  /** Virtual keys (create, revoke...) and their counters. */
  security: PreparedSecurity;
  gateway: Gateway;
  config: RuntimeConfig;
  simulator: Simulator | undefined;
  /** Where the config came from: a file path, "environment" or "simulated demo". */
  source: string;
  logger: Logger;
  stop(): Promise<void>;
}

function findConfig(options: StartOptions, env: Record<string, string | undefined>): { config: KeelConfig; source: string } {
  if (options.config !== undefined) return { config: parseConfig(options.config, 'inline config', env), source: 'inline config' };
  const path = options.configPath ?? env['KEEL_CONFIG'] ?? (existsSync('keel.yaml') ? 'keel.yaml' : undefined);
  if (path !== undefined) return { config: loadConfigFile(resolve(path), env), source: path };
  const fromEnv = configFromEnv(env);
  if (fromEnv !== undefined) return { config: parseConfig(fromEnv, 'environment', env), source: 'environment' };
  return { config: parseConfig(simulatedConfig(), 'simulated demo', env), source: 'simulated demo' };
}

const TRACE_LOSS_MESSAGES = {
  queue_full: 'trace spans dropped: the OTLP collector is not keeping up',
  export_failed: 'trace export failed',
  rejected: 'the OTLP collector rejected trace spans',
} as const;

export async function startKeel(options: StartOptions = {}): Promise<RunningKeel> {
  const env = options.env ?? process.env;
  const { config, source } = findConfig(options, env);
  const logger = options.logger ?? createLogger(config.server.log_level);
  for (const d of config.deployments) providerFor(d.provider); // fail at start, not on the first request

  const simulator = config.simulator === undefined ? undefined : await startEmbeddedSimulator(config.simulator);
  const runtime = resolveConfig(config, { source, ...(simulator === undefined ? {} : { simulatorUrl: simulator.url }) });
  const store = await openStore(config, source, logger);
  for (const path of literalSecretPaths(rawConfig(source, options.config))) {
    logger.warn({ path }, `a secret is written in the config (${path}); use \${ENV_VAR} or a file so it stays out of the config`);
  }
  registerHeaderSecrets(config);
  const host = options.host ?? config.server.host;
  let services: BackgroundServices | undefined;
  let gatewayRef: Gateway | undefined;
  // Only a gateway started from a file can reload it: re-read, validate, resolve, swap.
  const configFile = source === 'inline config' || source === 'environment' || source === 'simulated demo' ? undefined : resolve(source);
  const reload =
    configFile === undefined
      ? undefined
      : async (): Promise<{ deployments: string[]; routes: string[] }> => {
          const next = loadConfigFile(configFile, env);
          for (const d of next.deployments) providerFor(d.provider);
          const nextRuntime = resolveConfig(next, { source, ...(simulator === undefined ? {} : { simulatorUrl: simulator.url }) });
          gatewayRef?.router.reload(nextRuntime);
          logger.info({ deployments: [...nextRuntime.deployments.keys()], routes: [...nextRuntime.routes.keys()] }, 'config reloaded');
          return { deployments: [...nextRuntime.deployments.keys()], routes: [...nextRuntime.routes.keys()] };
        };
  const security = await prepareSecurity({ config, runtime, store, logger, host, env, sloStatus: () => services?.slo?.status(),
    shareBreakerForce: async (id, action) => services?.sharedBreakers?.shareForce(id, action), ...(reload === undefined ? {} : { reload }), ...(options.allowOpen === undefined ? {} : { allowOpen: options.allowOpen }) }).catch(async (err: unknown) => {
    await store.close();
    await simulator?.close();
    throw err;
  });
  // Several replicas share degraded answers through Redis; one replica keeps them in memory.
  // Redis's client (~13 MB resident) is loaded only when the config names a Redis.
  let answerCache: AnswerCache | undefined;
  let closeAnswersRedis = (): Promise<void> => Promise.resolve();
  if (config.cluster.redis_url !== undefined) {
    const { openSharedRedis, closeSharedRedis } = await import('../cluster/redis-connection.js');
    const { RedisAnswerCache } = await import('../cluster/redis-answer-cache.js');
    const answersRedis = openSharedRedis(config.cluster.redis_url, { name: 'keel-answers' });
    answerCache = new RedisAnswerCache(answersRedis, { onError: (err) => logger.debug({ err }, 'shared answer cache unavailable') });
    closeAnswersRedis = () => closeSharedRedis(answersRedis);
  }
  const gateway = createGateway({ config: runtime, logger, security: security.attach, responses: store, ...(answerCache === undefined ? {} : { router: { answerCache } }) });
  gatewayRef = gateway;
  const onStoreError = (err: unknown): void => logger.warn({ err }, 'store write failed; will retry');
  const recorder = new RollupRecorder({
    store,
    priceOf: (id) => runtime.deployments.get(id)?.price,
    onError: onStoreError,
    ...(config.store.flush_interval_ms === undefined ? {} : { flushIntervalMs: config.store.flush_interval_ms }),
  });
  // Probes are stored apart from client traffic, so they never count toward client availability.
  recorder.attach(gateway.router.events);
  services = await startBackgroundServices({ config, runtime, router: gateway.router, store, clock: systemClock, logger });
  gateway.mountPages((method, path, draining) => services.page(method, path, draining));
  const retention = config.store.retention_days;
  const stopRetention = scheduleRetention(store, systemClock, {
    ...(retention?.rollups === undefined ? {} : { rollupsDays: retention.rollups }),
    ...(retention?.samples === undefined ? {} : { samplesDays: retention.samples }),
    ...(retention?.incidents === undefined ? {} : { resolvedIncidentsDays: retention.incidents }),
    ...(retention?.responses === undefined ? {} : { responsesDays: retention.responses }),
    onError: onStoreError,
  });
  const tracing = await openTracing(gateway.router, {
    ...(runtime.telemetry.otlp_endpoint === undefined ? {} : { otlpEndpoint: runtime.telemetry.otlp_endpoint }),
    headers: runtime.telemetry.otlp_headers,
    protocol: runtime.telemetry.otlp_protocol,
    serviceName: runtime.telemetry.service_name,
    successSampleRatio: runtime.telemetry.trace_success_ratio,
    onLoss: (loss) =>
      logger.warn(
        {
          spans: loss.spans,
          reason: loss.kind,
          ...(loss.kind === 'export_failed' && loss.error !== undefined ? { err: loss.error.message } : {}),
          ...(loss.kind === 'rejected' ? { err: loss.message } : {}),
        },
        TRACE_LOSS_MESSAGES[loss.kind],
      ),
  });
  const url = await gateway.listen(options.port ?? config.server.port, host);
  return {
    url,
    store,
    services,
    security,
    gateway,
    config: runtime,
    simulator,
    source,
    logger,
    async stop() {
      await gateway.close();
      await services.stop();
      stopRetention();
      await recorder.close();
      await store.close();
      await closeAnswersRedis();
      await tracing.shutdown();
      await simulator?.close();
      await closeAllPools();
    },
  };
}
