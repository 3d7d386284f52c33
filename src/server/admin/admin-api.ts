/**
 * The admin API (`/admin/...`, JSON): virtual keys, incidents and maintenance, circuit breakers, config
 * validation and the audit log. Only with an admin token configured (otherwise the gateway answers 404, as
 * for any unknown path), and only for requests that carry it. Every change is audited with actor `admin`;
 * answers never carry a secret, except a key's own secret in the one answer that creates or rotates it.
 */
import { KeelError } from '../../core/errors.js';
import { errorAnswer } from '../../api/error-body.js';
import { jsonAnswer, type ApiAnswer } from '../../api/api-request.js';
import type { Router } from '../../router/router.js';
import type { Store } from '../../store/index.js';
import type { KeyManager } from '../auth/key-manager.js';
import type { KeyRing } from '../auth/key-ring.js';
import type { UsageCounters } from '../auth/usage-counters.js';
import { makeContext, matchPattern, intParam, type AdminRequest, type AdminRoute } from './admin-route.js';
import { AdminToken } from './admin-token.js';
import { breakerRoutes } from './breaker-routes.js';
import { configRoutes } from './config-routes.js';
import { incidentRoutes } from './incident-routes.js';
import { keyRoutes } from './key-routes.js';

export const ADMIN_ACTOR = 'admin';

export interface AdminApiOptions {
  token: string;
  store: Store;
  router: Router;
  deploymentIds: readonly string[];
  keys: KeyManager;
  ring: KeyRing;
  counters: UsageCounters;
  /** Where the running config came from (a file path, or "inline config"...), for validation. */
  configSource: string;
  env: Record<string, string | undefined>;
  nowMs: () => number;
  /** An error that was Keel's own fault (a 500), for the log. */
  onInternalError?: (err: unknown) => void;
  /** SLO budgets and burn-rate alerts, when SLOs are configured. */
  sloStatus?: () => unknown;
  /** Shares an operator's breaker override with the other replicas (when several share Redis). */
  shareBreakerForce?: (id: string, action: 'open' | 'close') => Promise<void>;
  /** Re-reads the config file and swaps deployments and routes; throws ConfigError when invalid. */
  reload?: () => Promise<{ deployments: string[]; routes: string[] }>;
}

export interface AdminApi {
  /** `actor` is who the audit log names for a change: `admin` for API calls, `console` for the console's. */
  handle(req: AdminRequest, requestId: string, actor?: string): Promise<ApiAnswer>;
}

export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

export function createAdminApi(options: AdminApiOptions): AdminApi {
  const token = new AdminToken(options.token);
  const { store } = options;
  const routes: AdminRoute[] = [
    ...keyRoutes({ keys: options.keys, ring: options.ring, counters: options.counters }),
    ...incidentRoutes(store),
    ...breakerRoutes(options.router, options.deploymentIds, options.shareBreakerForce),
    ...configRoutes(options.configSource, options.env, options.reload),
    { method: 'GET', pattern: '/admin/slo', handle: () => ({ body: { object: 'slo_status', data: options.sloStatus?.() ?? null } }) },
    {
      method: 'GET',
      pattern: '/admin/audit',
      handle: async ({ req }) => {
        const from = req.query.get('from');
        const entries = await store.listAudit({ limit: intParam(req.query, 'limit', 100, 10_000), ...(from === null ? {} : { from: Number(from) || 0 }) });
        return { body: { object: 'list', data: entries } };
      },
    },
  ];

  return {
    async handle(req, requestId, actor = ADMIN_ACTOR) {
      try {
        token.check(req.headers);
        const matching = routes.map((route) => ({ route, params: matchPattern(route.pattern, req.path) })).filter((m) => m.params !== undefined);
        if (matching.length === 0) throw new KeelError('not_found', `Unknown admin path: ${req.method} ${req.path}.`);
        const found = matching.find((m) => m.route.method === req.method);
        if (found === undefined) {
          const allowed = matching.map((m) => m.route.method).join(', ');
          throw new KeelError('method_not_allowed', `Method ${req.method} is not allowed on ${req.path}; use ${allowed}.`, { headers: { allow: allowed } });
        }
        const result = await found.route.handle(makeContext(req, found.params!, store, options.nowMs(), actor));
        return jsonAnswer(result.status ?? 200, result.body, { 'cache-control': 'no-store' });
      } catch (err) {
        if (!(err instanceof KeelError)) options.onInternalError?.(err);
        const answer = errorAnswer(err, 'openai', requestId);
        return jsonAnswer(answer.status, answer.body, { ...answer.headers, 'cache-control': 'no-store' });
      }
    },
  };
}
