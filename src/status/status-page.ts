/**
 * The status page's HTTP surface as pure request → response functions, for the server to mount:
 * `GET /status` (HTML), `GET /status.json` (Statuspage summary), `GET /status/incidents.json` and
 * `GET /status/feed.atom`. The model behind them is built at most once per `cacheTtlMs` (concurrent
 * requests share one build) and past days' uptime is computed once, so a popular page during an outage
 * costs the store a query or two every few seconds. If the store fails, the answer is a 503, never a throw.
 */
import { atomFeed } from './atom-feed.js';
import { buildStatusModel, type StatusSources } from './build-status-model.js';
import { DayCache } from './day-aggregate.js';
import { STATUS_CSP } from './status-page-assets.js';
import { renderStatusHtml } from './status-html.js';
import type { StatusModel } from './status-model.js';
import { incidentsJson, summaryJson } from './statuspage-json.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface StatusPageOptions extends StatusSources {
  // Ten seconds: as fresh as the detector's evaluations, and a stampede costs one build per interval.
  cacheTtlMs?: number;
  /** A failed build (the store is down); the page answers 503 meanwhile. */
  onError?: (error: unknown) => void;
}

export const STATUS_PATHS = ['/status', '/status.json', '/status/incidents.json', '/status/feed.atom'] as const;

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'public, max-age=10',
};

export class StatusPage {
  private readonly cache: DayCache;
  private built: { atMs: number; model: Promise<StatusModel> } | undefined;

  constructor(private readonly options: StatusPageOptions) {
    this.cache = new DayCache(options.store, options.topology);
  }

  /** The current model, built at most once per `cacheTtlMs`. */
  model(): Promise<StatusModel> {
    const now = this.options.clock.now();
    if (this.built === undefined || now - this.built.atMs >= (this.options.cacheTtlMs ?? 10_000)) {
      const model = buildStatusModel(this.options, this.cache);
      this.built = { atMs: now, model };
      // A failed build is not cached: the next request tries again.
      model.catch(() => {
        if (this.built?.model === model) this.built = undefined;
      });
    }
    return this.built.model;
  }

  html(): Promise<HttpResponse> {
    return this.respond((model) => ({
      status: 200,
      headers: { ...COMMON_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': STATUS_CSP, 'x-frame-options': 'DENY' },
      body: renderStatusHtml(model),
    }));
  }

  summaryJson(): Promise<HttpResponse> {
    return this.respond((model) => json(summaryJson(model)));
  }

  incidentsJson(): Promise<HttpResponse> {
    return this.respond((model) => json(incidentsJson(model)));
  }

  feed(): Promise<HttpResponse> {
    return this.respond((model) => ({ status: 200, headers: { ...COMMON_HEADERS, 'content-type': 'application/atom+xml; charset=utf-8', 'access-control-allow-origin': '*' }, body: atomFeed(model) }));
  }

  /**
   * Routes a request; undefined, at once, when the path is not the status page's (every API request asks
   * first, so a miss costs no promise). HEAD answers like GET without the body.
   */
  handle(method: string, path: string): Promise<HttpResponse> | undefined {
    const render = STATUS_ROUTES.get(path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path);
    if (render === undefined) return undefined;
    if (method !== 'GET' && method !== 'HEAD') return Promise.resolve({ status: 405, headers: { ...COMMON_HEADERS, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'Method not allowed\n' });
    return render(this).then((response) => (method === 'HEAD' ? { ...response, body: '' } : response));
  }

  private async respond(render: (model: StatusModel) => HttpResponse): Promise<HttpResponse> {
    try {
      return render(await this.model());
    } catch (error) {
      this.options.onError?.(error);
      return { status: 503, headers: { ...COMMON_HEADERS, 'cache-control': 'no-store', 'retry-after': '10', 'content-type': 'text/plain; charset=utf-8' }, body: 'The status page is briefly unavailable.\n' };
    }
  }
}

/** The status page's paths (without a trailing slash) and what each renders. */
const STATUS_ROUTES = new Map<string, (page: StatusPage) => Promise<HttpResponse>>([
  ['/status', (page) => page.html()],
  ['/status.json', (page) => page.summaryJson()],
  ['/status/incidents.json', (page) => page.incidentsJson()],
  ['/status/feed.atom', (page) => page.feed()],
]);

function json(body: unknown): HttpResponse {
  return { status: 200, headers: { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*' }, body: JSON.stringify(body) };
}
