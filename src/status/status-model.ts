/**
 * What the public status page knows, as plain data: the renderers (HTML, Statuspage JSON, Atom) read only
 * this. It is built from a `StatusTopology` that holds deployment ids, provider names and route names and
 * nothing else of the config, so no key, URL or header can reach the page; incidents are reduced to their
 * public fields (no evidence, no operator names).
 */
import type { TwoVoices } from '../health/vendor/two-voices.js';
import type { ComponentStatus, Incident, IncidentStatus } from '../store/store.js';

/** The only config the status page sees. */
export interface StatusTopology {
  /** `region`: where the deployment runs, shown beside its id (the same model in two regions is two rows). */
  deployments: { id: string; provider: string; region?: string }[];
  routes: { name: string; deployments: string[] }[];
}

/** Extracts the public topology from a runtime config (ids and names only). */
export function topologyOf(config: {
  deployments: ReadonlyMap<string, { id: string; provider: string; region?: string | undefined }>;
  routes: ReadonlyMap<string, { name: string; targets: readonly { deployment: { id: string } }[] }>;
}): StatusTopology {
  return {
    deployments: [...config.deployments.values()].map((d) => (d.region === undefined ? { id: d.id, provider: d.provider } : { id: d.id, provider: d.provider, region: d.region })),
    routes: [...config.routes.values()].map((r) => ({ name: r.name, deployments: r.targets.map((t) => t.deployment.id) })),
  };
}

export type StatuspageIndicator = 'none' | 'minor' | 'major' | 'critical';

export interface DayFigures {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  dayStartMs: number;
  /** 0..1, or undefined when there is no data for the day (no calls, no incident). */
  uptime: number | undefined;
  /** Minutes the uptime is over: from the day's first observation (a call or an incident) to its end (or now); 0 without data. */
  observedMinutes: number;
  majorMinutes: number;
  partialMinutes: number;
  calls: number;
  failures: number;
  incidents: { id: string; title: string; impact: Incident['impact'] }[];
}

export interface StatusComponent {
  /** `keel`, `provider:<name>` or `deployment:<id>`. */
  id: string;
  name: string;
  kind: 'keel' | 'provider' | 'deployment';
  /** For a deployment, its provider's component id. */
  groupId?: string;
  status: ComponentStatus;
  /** Why, in public words (counts and statuses only). */
  reason: string;
  /** The last five minutes as live health sees them. */
  live: { calls: number; errorRate: number; p50TtftMs?: number; p95TtftMs?: number } | undefined;
  /** Oldest first, one per day. */
  days: DayFigures[];
  /** Over observed time only (see `observedMinutes`): never over days or hours Keel did not see. */
  uptime: number | undefined;
  observedMinutes: number;
  /** Days with data. */
  observedDays: number;
}

export interface PublicIncidentUpdate {
  at: number;
  status: IncidentStatus;
  message: string;
  automatic: boolean;
}

export interface PublicIncident {
  id: string;
  title: string;
  component: string;
  componentName: string;
  /** The provider the component belongs to (deployments and providers), to group a provider's incidents. */
  provider?: string;
  status: IncidentStatus;
  impact: Incident['impact'];
  openedAt: number;
  updatedAt: number;
  resolvedAt?: number;
  monitoringAt?: number;
  impactStart: number;
  impactEnd?: number;
  updates: PublicIncidentUpdate[];
  /** The vendor's matching incidents beside Keel's lifecycle (when vendor status pages are read). */
  vendor?: TwoVoices;
}

export interface PublicMaintenance {
  id: string;
  component: string;
  componentName: string;
  startsAt: number;
  endsAt: number;
  description: string;
  state: 'scheduled' | 'in_progress' | 'completed';
}

export interface SliFigures {
  good: number;
  total: number;
  /** good / total, undefined without traffic. */
  ratio: number | undefined;
}

/** Per route: what the providers delivered against what clients received after Keel's retries and failovers. */
export interface RouteSli {
  route: string;
  windowLabel: string;
  windowMs: number;
  /** How much of the window had traffic: from its first hour with data to now (0 without any). */
  observedMs: number;
  /** Upstream attempts on the route's deployments: ok / (ok + provider faults). */
  providers: SliFigures;
  /** Client requests: ok / (ok + failures to serve); degraded stand-in answers count as failures. */
  clients: SliFigures & { degraded: number };
}

export interface LatencySeries {
  deployment: string;
  /** Hourly, oldest first; undefined where there was no successful call. */
  points: { hourStartMs: number; p50Ms: number | undefined; p95Ms: number | undefined }[];
}

export interface StatusModel {
  page: { name: string; url: string | undefined; generatedAtMs: number };
  overall: { status: ComponentStatus; indicator: StatuspageIndicator; description: string };
  components: StatusComponent[];
  /** `past`: resolved within the page's recent window; `all`: every incident of the uptime period. */
  incidents: { active: PublicIncident[]; past: PublicIncident[]; all: PublicIncident[] };
  maintenance: PublicMaintenance[];
  slis: RouteSli[];
  latency: LatencySeries[];
}
