/**
 * A simulated vendor status page in Atlassian Statuspage v2 JSON (`/api/v2/summary.json` and
 * `/api/v2/incidents.json`, the format Anthropic and OpenAI publish), for drills: the vendor's voice,
 * posted on a timeline ("Investigating" some minutes after the fault, then "Identified"... "Resolved"),
 * which Keel's status-page poller reads like the real one. Answers carry an ETag and a 304 for a matching
 * `If-None-Match`, as Statuspage's CDN does. Time is injected, so a test can walk the page through a day.
 */

export const VENDOR_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type VendorStatus = (typeof VENDOR_STATUSES)[number];
export const VENDOR_PAGE_IMPACTS = ['minor', 'major', 'critical'] as const;
export type VendorPageImpact = (typeof VENDOR_PAGE_IMPACTS)[number];

export interface VendorUpdateInput {
  status: VendorStatus;
  /** The update's text; a vendor-like default per status otherwise. */
  message?: string;
  /** The incident's impact when it opens (default major). */
  impact?: VendorPageImpact;
  /** The incident's name when it opens. */
  name?: string;
}

export interface VendorPageOptions {
  /** The page's name (`Anthropic (simulated)`). */
  name?: string;
  /** The components the page lists; every incident affects all of them. */
  components?: readonly string[];
  nowMs?: () => number;
}

interface PageUpdate {
  id: string;
  status: VendorStatus;
  body: string;
  created_at: string;
  display_at: string;
  updated_at: string;
}

interface PageIncident {
  id: string;
  name: string;
  status: VendorStatus;
  impact: VendorPageImpact;
  created_at: string;
  updated_at: string;
  started_at: string;
  resolved_at: string | null;
  shortlink: string;
  incident_updates: PageUpdate[];
  components: { id: string; name: string; status: string }[];
}

export interface StatusAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const DEFAULT_MESSAGES: Record<VendorStatus, string> = {
  investigating: 'We are currently investigating this issue.',
  identified: 'The issue has been identified and a fix is being implemented.',
  monitoring: 'A fix has been implemented and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
};

const COMPONENT_STATUS: Record<VendorPageImpact, string> = { minor: 'partial_outage', major: 'major_outage', critical: 'major_outage' };

export const VENDOR_PAGE_PATHS = ['/api/v2/summary.json', '/api/v2/incidents.json'] as const;

export class VendorStatusPage {
  private name: string;
  private components: readonly string[];
  private readonly nowMs: () => number;
  private readonly incidents: PageIncident[] = [];
  private version = 1;
  private updatedAt: string;
  private seq = 0;

  constructor(options: VendorPageOptions = {}) {
    this.name = options.name ?? 'Simulated provider';
    this.components = options.components ?? ['API'];
    this.nowMs = options.nowMs ?? Date.now;
    this.updatedAt = new Date(this.nowMs()).toISOString();
  }

  /** Names the page and its components (a drill names them after the provider it plays). */
  configure(options: Pick<VendorPageOptions, 'name' | 'components'>): void {
    if (options.name !== undefined) this.name = options.name;
    if (options.components !== undefined) this.components = options.components;
    this.version++;
  }

  /** Posts an update: to the open incident, or opening one (a resolve with nothing open is ignored). */
  post(input: VendorUpdateInput): void {
    const at = new Date(this.nowMs()).toISOString();
    let open = this.incidents.find((i) => i.resolved_at === null);
    if (open === undefined) {
      if (input.status === 'resolved') return;
      const impact = input.impact ?? 'major';
      open = {
        id: `sim${(++this.seq).toString().padStart(4, '0')}`,
        name: input.name ?? `Elevated errors on ${this.components.join(', ')}`,
        status: input.status,
        impact,
        created_at: at,
        updated_at: at,
        started_at: at,
        resolved_at: null,
        shortlink: `https://stspg.io/sim${this.seq}`,
        incident_updates: [],
        components: this.components.map((name, i) => ({ id: `cmp${i + 1}`, name, status: COMPONENT_STATUS[impact] })),
      };
      this.incidents.unshift(open);
    }
    open.status = input.status;
    open.updated_at = at;
    // Newest first, as Statuspage lists them.
    open.incident_updates.unshift({ id: `upd${++this.seq}`, status: input.status, body: input.message ?? DEFAULT_MESSAGES[input.status], created_at: at, display_at: at, updated_at: at });
    if (input.status === 'resolved') {
      open.resolved_at = at;
      for (const c of open.components) c.status = 'operational';
    }
    this.version++;
    this.updatedAt = at;
  }

  summary(): unknown {
    const open = this.incidents.filter((i) => i.resolved_at === null);
    const worst = open.some((i) => i.impact === 'critical') ? 'critical' : open.some((i) => i.impact === 'major') ? 'major' : open.length > 0 ? 'minor' : 'none';
    const status = open.length === 0 ? 'operational' : COMPONENT_STATUS[open[0]!.impact];
    return {
      page: this.page(),
      components: this.components.map((name, i) => ({ id: `cmp${i + 1}`, name, status, created_at: this.updatedAt, updated_at: this.updatedAt, position: i + 1, description: null, showcase: true, group_id: null, page_id: 'simpage', group: false, only_show_if_degraded: false })),
      incidents: open,
      scheduled_maintenances: [],
      status: { indicator: worst, description: worst === 'none' ? 'All Systems Operational' : worst === 'minor' ? 'Partial System Outage' : 'Major System Outage' },
    };
  }

  incidentsDocument(): unknown {
    return { page: this.page(), incidents: this.incidents.slice(0, 50) };
  }

  /** Answers a GET for one of the page's paths; undefined for any other path. */
  handle(path: string, ifNoneMatch: string | undefined): StatusAnswer | undefined {
    const kind = path === VENDOR_PAGE_PATHS[0] ? 'summary' : path === VENDOR_PAGE_PATHS[1] ? 'incidents' : undefined;
    if (kind === undefined) return undefined;
    const etag = `"${kind}-${this.version}"`;
    const headers = { etag, 'cache-control': 'max-age=0, private, must-revalidate', 'content-type': 'application/json; charset=utf-8' };
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag)) return { status: 304, headers, body: '' };
    return { status: 200, headers, body: JSON.stringify(kind === 'summary' ? this.summary() : this.incidentsDocument()) };
  }

  private page(): Record<string, unknown> {
    return { id: 'simpage', name: this.name, url: 'https://status.example.invalid', time_zone: 'Etc/UTC', updated_at: this.updatedAt };
  }
}
