/**
 * What runs beside the request path: the store (SQLite, or PostgreSQL for several instances), the health
 * monitor with its incident detector and probes, webhooks, the public status page, and — with several
 * instances — the lease that lets exactly one of them run the detector and the probes. Also `/readyz`.
 */
import type { KeelConfig } from '../config/schema.js';
import type { RuntimeConfig } from '../config/resolve-config.js';
import type { Clock } from '../core/clock.js';
import { defined } from '../core/defined.js';
import { secrets } from '../core/secrets.js';
import { checkReadiness, readinessAnswer } from '../cluster/readiness.js';
import type { Lease } from '../cluster/lease.js';
import type { SharedBreakers } from '../cluster/shared-breakers.js';
import { createHealthMonitor, createVendorStatusPoller, vendorPlanOrder, type HealthMonitor, type VendorStatusPoller } from '../health/index.js';
import type { Router } from '../router/router.js';
import { StatusPage, WebhookDispatcher, topologyOf } from '../status/index.js';
import { SloMonitor, WebhookSender, parseOpenSlo } from '../slo/index.js';
import { SqliteStore, realIntervalTimer, type Store } from '../store/index.js';
import { readFileSync } from 'node:fs';
import type { Logger } from '../telemetry/logger.js';

export interface PageAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function openStore(config: KeelConfig, source: string, logger: Logger): Promise<Store> {
  let store: Store;
  if (config.store.postgres_url !== undefined) {
    secrets.add(new URL(config.store.postgres_url).password || undefined);
    const { PostgresStore } = await import('../store/postgres/postgres-store.js');
    store = new PostgresStore({
      connectionString: config.store.postgres_url,
      ...(config.store.postgres_schema === undefined ? {} : { schema: config.store.postgres_schema }),
      onError: (err) => logger.warn({ err }, 'postgres connection error'),
    });
  } else {
    store = new SqliteStore({ path: config.store.path ?? (source === 'inline config' ? ':memory:' : 'keel.db') });
  }
  await store.migrate();
  return store;
}

export interface BackgroundServices {
  monitor: HealthMonitor;
  /** Error budgets and burn-rate alerts, when `slo.openslo_file` is set. */
  slo: SloMonitor | undefined;
  statusPage: StatusPage | undefined;
  /** The leader lease (with several replicas): the holder runs the incident detector and the probes. */
  lease: Lease | undefined;
  /** Breaker openings shared with the other replicas (when `cluster.redis_url` is set). */
  sharedBreakers: SharedBreakers | undefined;
  /** The providers' public status pages, read when `status_sources.enabled`. */
  vendorStatus: VendorStatusPoller | undefined;
  /** Answers public pages (`/status...`, `/readyz`); undefined, at once, for other paths. */
  page(method: string, path: string, draining: boolean): Promise<PageAnswer> | undefined;
  stop(): Promise<void>;
}

export async function startBackgroundServices(options: {
  config: KeelConfig;
  runtime: RuntimeConfig;
  router: Router;
  store: Store;
  clock: Clock;
  logger: Logger;
}): Promise<BackgroundServices> {
  const { config, runtime, router, store, clock, logger } = options;
  const onError = (err: unknown): void => logger.warn({ err }, 'health or incident bookkeeping failed');
  const probes = config.health.probes;
  const w = config.health.windows ?? {};
  const i = config.health.incidents ?? {};
  const monitor = createHealthMonitor({
    config: runtime,
    router,
    store,
    clock,
    health: defined({ bucketMs: w.bucket_ms, shortWindowMs: w.short_window_ms, longWindowMs: w.long_window_ms, minAttemptsShort: w.min_attempts_short, minAttemptsLong: w.min_attempts_long }),
    detector: defined({
      evaluateEveryMs: i.evaluate_every_ms,
      openAfterMs: i.open_after_ms,
      identifyAfterMs: i.identify_after_ms,
      monitorAfterMs: i.monitor_after_ms,
      resolveAfterMs: i.resolve_after_ms,
      reopenAfterMs: i.reopen_after_ms,
    }),
    ...(probes === undefined
      ? {}
      : { probes: { enabled: probes.enabled, ...(probes.interval_ms === undefined ? {} : { intervalMs: probes.interval_ms }), ...(probes.daily_cost_cap_usd === undefined ? {} : { dailyCostCapUsd: probes.daily_cost_cap_usd }) } }),
    onError,
    onSeeded: (seeded) => logger.info(seeded, 'health windows seeded from the stored history of minutes this instance did not watch'),
  });
  for (const hook of config.webhooks) secrets.add(hook.secret);
  const webhooks = new WebhookDispatcher({ endpoints: config.webhooks, clock, onError });
  webhooks.attach(monitor.detector.events);

  // One leader runs the detector and the probes; health windows follow traffic on every instance.
  const lease = await createLease(config, logger, {
    onAcquired: () => {
      logger.info('this instance now runs the incident detector and probes');
      router.recovery.setActive(true);
      void monitor.lead();
    },
    onLost: (reason) => {
      logger.warn({ reason }, 'lost the leader lease: incident detector and probes stopped here');
      router.recovery.setActive(false);
      void monitor.stepDown();
    },
  });
  // Every replica's windows follow its own traffic and breakers, leader or not: the status page reads
  // them, and a replica that takes over the detector carries on from what it saw rather than from nothing.
  monitor.watch();
  // With a lease, recovery probes of open breakers are the leader's job too (their answers are shared).
  if (lease !== undefined) router.recovery.setActive(false);
  if (lease === undefined) await monitor.start();
  else lease.start();
  const sharedBreakers = await startSharedBreakers(config, runtime, router, logger);
  // With several replicas, health is judged on the whole cluster's traffic, not this replica's share.
  const sharedHealth =
    config.cluster.redis_url === undefined
      ? undefined
      : new (await import('../cluster/shared-health.js')).SharedHealth({
          redis: config.cluster.redis_url,
          record: (attempt) => monitor.windows.recordAttempt(attempt),
          deploymentIds: runtime.deployments.keys(),
          onError: (err) => logger.debug({ err }, 'shared health unavailable'),
        });
  sharedHealth?.attach(router.events);

  // Every replica reads the vendors' pages (cheap, conditional) so each has the signal for its own plans;
  // saves are idempotent upserts. A failing page is logged once per streak and never reaches a request.
  const vendorStatus = createVendorStatusPoller(config.status_sources, runtime.deployments.values(), {
    store,
    clock,
    onProblem: (source, err) => logger.warn({ source, code: err.code }, `vendor status page "${source}" unreadable: ${err.message}; requests are unaffected, retrying with backoff`),
    onRecovered: (source) => logger.info({ source }, `vendor status page "${source}" readable again`),
    onOutagesChanged: (outages) =>
      logger.warn({ outages, mode: config.status_sources.on_major_outage }, outages.length === 0 ? 'vendors declare no major outage on a mapped component' : `vendor-declared major outage on: ${outages.map((o) => `${o.deployment} (${o.source}: ${o.component})`).join(', ')}`),
    onError,
  });
  // The vendor's word may reorder plans (`demote`, `open`); it never touches a breaker.
  if (vendorStatus !== undefined) router.planOrder = vendorPlanOrder(config.status_sources.on_major_outage, (id) => vendorStatus.outageOf(id) !== undefined);
  const stopVendorStatus = vendorStatus?.start(realIntervalTimer) ?? ((): void => undefined);

  let slo: SloMonitor | undefined;
  let stopSlo = (): void => undefined;
  if (config.slo.openslo_file !== undefined) {
    for (const hook of config.slo.webhooks) secrets.add(hook.secret);
    const slos = parseOpenSlo(readFileSync(config.slo.openslo_file, 'utf8'), config.slo.openslo_file);
    slo = new SloMonitor({ store, clock, slos, sink: new WebhookSender(config.slo.webhooks, clock), onError });
    stopSlo = slo.start(realIntervalTimer);
    void slo.evaluate(); // budgets from the start, not one interval later
  }

  const statusPage = config.status_page.enabled
    ? new StatusPage({
        store,
        topology: topologyOf(runtime),
        clock,
        health: monitor.windows,
        ...(vendorStatus === undefined ? {} : { vendorWatched: vendorStatus.watched }),
        page: { name: config.status_page.title, ...(config.status_page.public_url === undefined ? {} : { url: config.status_page.public_url }) },
        onError,
      })
    : undefined;

  return {
    monitor,
    slo,
    statusPage,
    page(method, path, draining) {
      if (path === '/readyz') return checkReadiness({ draining, store: { probe: async () => void (await store.listIncidents({ limit: 1 })) } }).then(readinessAnswer);
      return statusPage?.handle(method, path)?.then((answer) => ({ status: answer.status, headers: answer.headers, body: typeof answer.body === 'string' ? answer.body : String(answer.body) }));
    },
    lease,
    sharedBreakers,
    vendorStatus,
    async stop() {
      stopVendorStatus();
      router.planOrder = undefined;
      await sharedBreakers?.stop();
      await sharedHealth?.close();
      if (lease !== undefined) await lease.stop();
      await monitor.stop();
      webhooks.close();
      await webhooks.idle();
      stopSlo();
      await slo?.idle();
    },
  };
}


async function createLease(config: KeelConfig, logger: Logger, events: { onAcquired: () => void; onLost: (reason: string) => void }): Promise<Lease | undefined> {
  const onError = (err: Error): void => logger.warn({ err }, 'leader lease backend unreachable; retrying');
  const ttl = config.cluster.lease_ttl_ms;
  if (config.cluster.lease === 'redis' && config.cluster.redis_url !== undefined) {
    const { LeaderLease } = await import('../cluster/leader-lease.js');
    return new LeaderLease({ redis: config.cluster.redis_url, key: 'keel:leader:incidents', ...(ttl === undefined ? {} : { ttlMs: ttl }), ...events, onError });
  }
  if (config.cluster.lease === 'postgres' && config.store.postgres_url !== undefined) {
    const { PgAdvisoryLease } = await import('../cluster/pg-advisory-lease.js');
    return new PgAdvisoryLease({ connectionString: config.store.postgres_url, name: 'keel:leader:incidents', ...events, onError });
  }
  return undefined;
}

/** A replica that sees a provider fail tells the others, which skip it too (see `SharedBreakers`). */
async function startSharedBreakers(config: KeelConfig, runtime: RuntimeConfig, router: Router, logger: Logger): Promise<SharedBreakers | undefined> {
  const url = config.cluster.redis_url;
  if (url === undefined) return undefined;
  secrets.add(new URL(url).password || undefined);
  const { SharedBreakers } = await import('../cluster/shared-breakers.js');
  const shared = new SharedBreakers({
    redis: url,
    router,
    knows: (id) => runtime.deployments.has(id),
    onDegraded: (err) => logger.warn({ err }, 'redis unreachable: breakers are local to this replica until it returns'),
    onRecovered: () => logger.info('redis reachable again: breaker openings are shared again'),
  });
  shared.start();
  return shared;
}
