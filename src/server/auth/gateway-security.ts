/**
 * Puts a gateway's security together at start: the admin token, the keys (store and config file), the
 * per-key counters and the spend rebuilt from the store, the gate every client request goes through, and
 * the admin API. It also decides whether Keel may run open: with no key at all it serves loopback only
 * (and warns); binding another address without keys needs `server.allow_open` / `--allow-open`.
 */
import { ConfigError } from '../../config/load-config.js';
import { DEFAULTS } from '../../config/defaults.js';
import type { RuntimeConfig } from '../../config/resolve-config.js';
import type { KeelConfig } from '../../config/schema.js';
import { secrets } from '../../core/secrets.js';
import type { Router } from '../../router/router.js';
import { realIntervalTimer, type IntervalTimer, type Store } from '../../store/index.js';
import type { Logger } from '../../telemetry/logger.js';
import { createAdminApi, type AdminApi } from '../admin/admin-api.js';
import { LiveTraffic } from '../../console/live-traffic.js';
import { createOperatorConsole, type OperatorConsole } from '../../console/operator-console.js';
import { KeyGate } from './key-gate.js';
import { KeyManager } from './key-manager.js';
import { KeyRing } from './key-ring.js';
import { SpendLedger } from './spend-ledger.js';
import { MemoryUsageCounters, type UsageCounters } from './usage-counters.js';
import type { RedisUsageCounters } from '../../cluster/redis-usage-counters.js';

export interface SecurityOptions {
  config: KeelConfig;
  runtime: RuntimeConfig;
  store: Store;
  logger: Logger;
  /** The address the gateway is about to bind (`--host` wins over the config). */
  host: string;
  /** `--allow-open`: same as `server.allow_open: true`. */
  allowOpen?: boolean;
  env: Record<string, string | undefined>;
  nowMs?: () => number;
  timer?: IntervalTimer;
  counters?: UsageCounters;
  keyRefreshMs?: number;
  spendFlushMs?: number;
  /** The SLO monitor's current budgets and alerts, for `GET /admin/slo` (bound late: it starts later). */
  sloStatus?: () => unknown;
  /** Shares an operator's breaker override with the other replicas. */
  shareBreakerForce?: (id: string, action: 'open' | 'close') => Promise<void>;
  /** `POST /admin/config/reload`. */
  reload?: () => Promise<{ deployments: string[]; routes: string[] }>;
}

export interface GatewaySecurity {
  gate: KeyGate;
  /** Undefined when no admin token is configured: `/admin/...` is then an unknown path (404). */
  admin: AdminApi | undefined;
  /** The operator console (`/console`), with the admin API: undefined without an admin token. */
  console: OperatorConsole | undefined;
  /** Stops the refresh and writes the spend not yet written. */
  close(): Promise<void>;
}

export interface PreparedSecurity {
  keys: KeyManager;
  ring: KeyRing;
  counters: UsageCounters;
  /** Binds the gate and the admin API to the gateway's router. */
  attach(router: Router): GatewaySecurity;
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

function adminToken(options: SecurityOptions): string | undefined {
  const token = options.config.server.admin_token ?? options.env['KEEL_ADMIN_TOKEN'];
  if (token === undefined || token === '') return undefined;
  if (token.length < 16) throw new ConfigError(options.runtime.source, [{ path: 'server.admin_token', message: 'expected at least 16 characters (from KEEL_ADMIN_TOKEN)' }]);
  secrets.add(token);
  return token;
}

export async function prepareSecurity(options: SecurityOptions): Promise<PreparedSecurity> {
  const { config, runtime, store, logger } = options;
  const nowMs = options.nowMs ?? Date.now;
  const timer = options.timer ?? realIntervalTimer;
  const onError = (err: unknown): void => logger.warn({ err }, 'key store access failed; will retry');
  const token = adminToken(options);
  // Several replicas share their counters in Redis, so a key's limits hold for the cluster, not per replica.
  const shared = options.counters === undefined ? await sharedCounters(config, logger) : undefined;
  const counters = options.counters ?? shared ?? new MemoryUsageCounters();
  const ring = new KeyRing({ store, configKeys: config.keys, refreshMs: options.keyRefreshMs ?? DEFAULTS.auth.keyRefreshMs, timer, nowMs, onError });
  await ring.load();

  if (!ring.configured) {
    const open = config.server.allow_open || options.allowOpen === true;
    if (!isLoopback(options.host) && !open) {
      throw new ConfigError(runtime.source, [
        {
          path: 'server.host',
          message: `binding ${options.host} without any virtual key would let anyone who can reach it use the providers' keys; create a key (keel keys create) or allow an open gateway explicitly (server.allow_open: true or --allow-open)`,
        },
      ]);
    }
    logger.warn(
      { host: options.host },
      isLoopback(options.host)
        ? 'no virtual keys configured: Keel is open to every client on this machine (loopback only); create one with `keel keys create`'
        : 'no virtual keys configured and open access allowed: anyone who can reach this address may use the gateway',
    );
  }

  // Every replica rebuilds the same persisted spend: into Redis only where no replica has put it yet.
  const seed = shared?.spendSeed();
  const ledger = new SpendLedger({ store, counters: seed ?? counters, flushMs: options.spendFlushMs ?? DEFAULTS.auth.spendFlushMs, timer, nowMs, onError });
  await ledger.rebuild();
  await seed?.commit(nowMs());
  const keys = new KeyManager({ store, nowMs, onChange: (record) => ring.put(record) });

  return {
    keys,
    ring,
    counters,
    attach(router) {
      const gate = new KeyGate({ ring, counters, ledger, nowMs, priceOf: (id) => runtime.deployments.get(id)?.price, onError });
      ring.start();
      ledger.start();
      const admin =
        token === undefined
          ? undefined
          : createAdminApi({
              token,
              store,
              router,
              deploymentIds: [...runtime.deployments.keys()],
              keys,
              ring,
              counters,
              configSource: runtime.source,
              env: options.env,
              nowMs,
              onInternalError: (err) => logger.error({ err }, 'admin API internal error'),
              ...(options.sloStatus === undefined ? {} : { sloStatus: options.sloStatus }),
              ...(options.reload === undefined ? {} : { reload: options.reload }),
              ...(options.shareBreakerForce === undefined ? {} : { shareBreakerForce: options.shareBreakerForce }),
            });
      // The console's traffic view follows the router only where there is a console to show it.
      const traffic = admin === undefined ? undefined : new LiveTraffic(nowMs);
      const detachTraffic = traffic?.attach(router.events);
      const providers = new Set([...runtime.deployments.values()].map((d) => d.provider));
      const console =
        admin === undefined || token === undefined || traffic === undefined
          ? undefined
          : createOperatorConsole({
              token,
              admin,
              router,
              traffic,
              components: [...[...runtime.deployments.keys()].map((id) => `deployment:${id}`), ...[...providers].map((p) => `provider:${p}`)],
              configSource: runtime.source,
              canReload: options.reload !== undefined,
              nowMs,
              audit: (entry) => store.appendAudit(entry),
            });
      return {
        gate,
        admin,
        console,
        async close() {
          detachTraffic?.();
          ring.stop();
          await ledger.close();
          await shared?.close();
        },
      };
    },
  };
}

async function sharedCounters(config: KeelConfig, logger: Logger): Promise<RedisUsageCounters | undefined> {
  const url = config.cluster.redis_url;
  if (url === undefined) return undefined;
  secrets.add(new URL(url).password || undefined);
  const { RedisUsageCounters } = await import('../../cluster/redis-usage-counters.js');
  return new RedisUsageCounters({
    redis: url,
    leases: { fraction: config.cluster.limit_lease_share },
    onDegraded: (err) => logger.warn({ err }, 'redis unreachable: per-key limits now hold per replica until it returns'),
    onRecovered: () => logger.info('redis reachable again: per-key limits are shared again'),
  });
}
