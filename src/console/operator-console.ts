/**
 * The operator console (`/console`), served when an admin token is configured: sign-in, the page of each
 * view, the fragments its module refreshes, the module itself, and `/console/api/...`, which forwards to
 * the admin API (`/admin/...`) with the actor `console`. The console reads and changes nothing by any
 * other way: every change is an admin API call, validated and audited there.
 *
 * Without a valid session cookie a page redirects to the sign-in and everything else answers 401. A
 * request that changes state must also come from this origin (`Origin` or `Sec-Fetch-Site`) and carry
 * the session's CSRF token (header `x-keel-csrf`, or the form field `csrf` of sign-out). Every answer is
 * `no-store`, and HTML carries a CSP that allows only the console's own style and module.
 */
import { KeelError } from '../core/errors.js';
import { errorAnswer } from '../api/error-body.js';
import type { ApiAnswer } from '../api/api-request.js';
import type { AdminApi } from '../server/admin/admin-api.js';
import type { AdminRequest } from '../server/admin/admin-route.js';
import { AdminToken } from '../server/admin/admin-token.js';
import type { Router } from '../router/router.js';
import type { AuditEntry, Incident, MaintenanceWindow } from '../store/index.js';
import type { CircuitBreakerSnapshot } from '../resilience/index.js';
import { CONSOLE_CSP, CONSOLE_SCRIPT } from './console-assets.js';
import { consolePage, isConsoleView, loginPage, type ConsoleView } from './console-html.js';
import { ConsoleSessions, isSameOrigin, type ConsoleSession } from './console-session.js';
import { auditFragment, configFragment, incidentsFragment, keyForm, keysFragment, maintenanceForm, sloFragment, type KeyView } from './console-views-admin.js';
import { breakersFragment, trafficFragment, type BreakerView } from './console-views-live.js';
import type { LiveTraffic } from './live-traffic.js';

export const CONSOLE_ACTOR = 'console';
// The traffic view's span: long enough to see an outage's shape, short enough to move while one runs.
const TRAFFIC_MINUTES = 5;

export interface ConsoleRequest extends AdminRequest {
  /** The client's address, for the sign-in brake. */
  remoteAddress: string | undefined;
  /** Whether the browser reached Keel over HTTPS (directly or through a proxy saying so). */
  secure: boolean;
}

export interface ConsoleOptions {
  token: string;
  admin: AdminApi;
  router: Router;
  traffic: LiveTraffic;
  /** Status page components (`deployment:<id>`, `provider:<name>`), for maintenance windows. */
  components: string[];
  configSource: string;
  canReload: boolean;
  nowMs: () => number;
  /** Records sign-in and sign-out in the audit log. */
  audit(entry: AuditEntry): Promise<void>;
}

export interface OperatorConsole {
  handle(req: ConsoleRequest, requestId: string): Promise<ApiAnswer>;
}

export function isConsolePath(path: string): boolean {
  return path === '/console' || path.startsWith('/console/');
}

const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

const html = (status: number, body: string, headers: Record<string, string> = {}): ApiAnswer => ({
  status,
  headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONSOLE_CSP, ...headers },
  body,
});

const redirect = (location: string, headers: Record<string, string> = {}): ApiAnswer => ({ status: 303, headers: { ...SECURITY_HEADERS, location, ...headers }, body: '' });

function refusal(err: KeelError, requestId: string): ApiAnswer {
  const answer = errorAnswer(err, 'openai', requestId);
  return { status: answer.status, headers: { ...answer.headers, ...SECURITY_HEADERS, 'content-type': 'application/json' }, body: JSON.stringify(answer.body) };
}

export function createOperatorConsole(options: ConsoleOptions): OperatorConsole {
  const sessions = new ConsoleSessions(options.token, options.nowMs);
  const token = new AdminToken(options.token);
  const adminHeaders = { 'x-keel-admin-token': options.token };

  /** One admin API call as the console: its status and parsed JSON. */
  async function admin(requestId: string, method: string, path: string, query = new URLSearchParams(), readBody: () => Promise<Buffer> = async () => Buffer.alloc(0)): Promise<ApiAnswer> {
    return options.admin.handle({ method, path, query, headers: adminHeaders, readBody }, requestId, CONSOLE_ACTOR);
  }
  async function read<T>(requestId: string, path: string, query?: Record<string, string>): Promise<T> {
    const answer = await admin(requestId, 'GET', path, new URLSearchParams(query));
    const body = JSON.parse(String(answer.body)) as { data?: unknown; error?: { message: string } };
    if (answer.status !== 200) throw new Error(`admin API ${path} answered ${answer.status}: ${body.error?.message ?? ''}`);
    return body as T;
  }

  async function breakers(requestId: string): Promise<BreakerView[]> {
    const { data } = await read<{ data: Record<string, CircuitBreakerSnapshot> }>(requestId, '/admin/breakers');
    const load = options.router.load();
    return Object.entries(data).map(([id, snapshot]) => ({ id, snapshot, ...load.deployment(id) }));
  }

  /** A view's live part; undefined for a view that has none. */
  async function fragment(view: ConsoleView, requestId: string): Promise<string | undefined> {
    switch (view) {
      case 'traffic': {
        const load = options.router.load();
        return trafficFragment(options.traffic.snapshot(TRAFFIC_MINUTES), await breakers(requestId), { inFlight: load.inFlight, queued: load.queued });
      }
      case 'breakers':
        return breakersFragment(await breakers(requestId));
      case 'incidents': {
        const incidents = await read<{ data: Incident[] }>(requestId, '/admin/incidents', { limit: '30' });
        const maintenance = await read<{ data: MaintenanceWindow[] }>(requestId, '/admin/maintenance');
        return incidentsFragment(incidents.data, maintenance.data, options.nowMs());
      }
      case 'keys': {
        const keys = await read<{ data: KeyView[] }>(requestId, '/admin/keys');
        const minute = options.traffic.snapshot(1);
        return keysFragment(keys.data, { requests: minute.tenants, tokens: minute.tenantTokens });
      }
      case 'slo':
        return sloFragment((await read<{ data: Parameters<typeof sloFragment>[0] }>(requestId, '/admin/slo')).data);
      case 'audit':
        return auditFragment((await read<{ data: AuditEntry[] }>(requestId, '/admin/audit', { limit: '200' })).data);
      case 'config':
        return undefined;
    }
  }

  function rest(view: ConsoleView): string {
    if (view === 'incidents') return maintenanceForm(options.components);
    if (view === 'keys') return keyForm();
    if (view === 'config') return configFragment(options.configSource, options.canReload);
    return '';
  }

  async function signIn(req: ConsoleRequest): Promise<ApiAnswer> {
    if (!isSameOrigin(req.headers)) return html(403, loginPage('Refused: the sign-in did not come from this console.'));
    const client = req.remoteAddress ?? 'unknown';
    const waitS = sessions.lockedForS(client);
    if (waitS > 0) return html(429, loginPage(`Too many wrong tokens: try again in ${waitS} s.`), { 'retry-after': String(waitS) });
    const presented = new URLSearchParams((await req.readBody()).toString('utf8')).get('token') ?? '';
    try {
      token.check({ 'x-keel-admin-token': presented });
    } catch {
      sessions.recordFailure(client);
      await options.audit({ at: options.nowMs(), actor: CONSOLE_ACTOR, action: 'console.sign_in_refused', target: client });
      return html(401, loginPage('That is not the admin token.'));
    }
    const { setCookie } = sessions.issue(req.secure);
    await options.audit({ at: options.nowMs(), actor: CONSOLE_ACTOR, action: 'console.sign_in', target: client });
    return redirect('/console/traffic', { 'set-cookie': setCookie });
  }

  async function signedIn(req: ConsoleRequest, session: ConsoleSession, requestId: string): Promise<ApiAnswer> {
    const { method, path } = req;
    const changes = method !== 'GET' && method !== 'HEAD';
    if (changes && !isSameOrigin(req.headers)) return refusal(new KeelError('forbidden', 'Refused: the request did not come from a page of this console.'), requestId);

    if (path === '/console/logout') {
      if (method !== 'POST') return refusal(new KeelError('method_not_allowed', 'Sign out with POST.', { headers: { allow: 'POST' } }), requestId);
      const csrf = new URLSearchParams((await req.readBody()).toString('utf8')).get('csrf') ?? undefined;
      if (!sessions.csrfMatches(session, csrf)) return refusal(new KeelError('forbidden', 'Refused: missing or wrong CSRF token.'), requestId);
      await options.audit({ at: options.nowMs(), actor: CONSOLE_ACTOR, action: 'console.sign_out', target: req.remoteAddress ?? 'unknown' });
      return redirect('/console/login', { 'set-cookie': sessions.signOut(session, req.secure) });
    }
    if (path.startsWith('/console/api/')) {
      if (changes) {
        const csrf = req.headers['x-keel-csrf'];
        if (!sessions.csrfMatches(session, typeof csrf === 'string' ? csrf : undefined)) return refusal(new KeelError('forbidden', 'Refused: missing or wrong CSRF token (header x-keel-csrf).'), requestId);
      }
      const answer = await admin(requestId, method, `/admin/${path.slice('/console/api/'.length)}`, req.query, req.readBody);
      return { ...answer, headers: { ...answer.headers, ...SECURITY_HEADERS } };
    }
    if (changes) return refusal(new KeelError('method_not_allowed', `Method ${method} is not allowed on ${path}.`, { headers: { allow: 'GET' } }), requestId);
    if (path === '/console/assets/console.js') return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': 'text/javascript; charset=utf-8' }, body: CONSOLE_SCRIPT };
    if (path === '/console' || path === '/console/' || path === '/console/login') return redirect('/console/traffic');
    const fragmentView = /^\/console\/fragments\/([a-z]+)$/.exec(path)?.[1];
    if (fragmentView !== undefined && isConsoleView(fragmentView)) {
      return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' }, body: (await fragment(fragmentView, requestId)) ?? '' };
    }
    const view = /^\/console\/([a-z]+)\/?$/.exec(path)?.[1];
    if (view !== undefined && isConsoleView(view)) {
      const live = await fragment(view, requestId);
      return html(200, consolePage({ view, csrf: session.csrf, ...(live === undefined ? {} : { live }), rest: rest(view) }));
    }
    return refusal(new KeelError('not_found', `Unknown console path: ${path}.`), requestId);
  }

  return {
    async handle(req, requestId) {
      try {
        const session = sessions.read(req.headers);
        if (req.path === '/console/login') {
          if (req.method === 'POST') return await signIn(req);
          if (session === undefined) return html(200, loginPage());
        }
        if (session !== undefined) return await signedIn(req, session, requestId);
        const isPage = req.method === 'GET' && (req.path === '/console' || req.path === '/console/' || /^\/console\/[a-z]+\/?$/.test(req.path));
        if (isPage) return redirect('/console/login');
        return refusal(new KeelError('unauthorized', 'Sign in to the console first (/console/login).'), requestId);
      } catch (err) {
        if (err instanceof KeelError) return refusal(err, requestId);
        throw err;
      }
    },
  };
}
