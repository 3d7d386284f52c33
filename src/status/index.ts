/**
 * The status box: the public status page (HTML), its Statuspage-compatible JSON, the Atom feed, and
 * signed webhooks on incident changes. It reads the store, live health and a topology of ids and names;
 * it never sees a key, a URL or a tenant.
 */
export { StatusPage, STATUS_PATHS, type HttpResponse, type StatusPageOptions } from './status-page.js';
export { buildStatusModel, STATUS_PAGE_DEFAULTS, type StatusSources } from './build-status-model.js';
export { DayCache, aggregateDay, type DayAggregate } from './day-aggregate.js';
export { topologyOf } from './status-model.js';
export type { StatusModel, StatusTopology, StatusComponent, PublicIncident, PublicMaintenance, RouteSli, LatencySeries, DayFigures, StatuspageIndicator } from './status-model.js';
export { summaryJson, incidentsJson, impactIndicator } from './statuspage-json.js';
export { atomFeed } from './atom-feed.js';
export { renderStatusHtml } from './status-html.js';
export { STATUS_CSP } from './status-page-assets.js';
export { publicIncident, publicMaintenance } from './public-incident.js';
export {
  WebhookDispatcher,
  WEBHOOK_DEFAULTS,
  signWebhook,
  verifyWebhookSignature,
  type DeliveryReport,
  type WebhookDispatcherOptions,
  type WebhookEndpoint,
  type WebhookEventName,
  type WebhookSettings,
} from './webhooks.js';
