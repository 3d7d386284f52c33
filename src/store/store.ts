/**
 * The `Store`: everything Keel keeps across restarts, behind one interface so the embedded SQLite file
 * (the default) and PostgreSQL (several instances) are interchangeable. Nothing on the request path
 * waits on it: attempts are folded into per-minute rollups in memory and written in batches.
 *
 * Times are epoch milliseconds; minutes are epoch ms floored to the minute.
 */
import type { Outcome } from '../core/outcome.js';

/** Whose numbers a rollup row holds: one deployment's attempts, or one route's client requests. */
export type RollupScope = 'deployment' | 'route';
/** Client traffic, or synthetic probes (kept apart so probes never inflate availability). */
export type RollupSource = 'client' | 'probe';

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is everything above. */
export const LATENCY_BUCKETS_MS = [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000] as const;

export interface RollupRow {
  minute: number;
  scope: RollupScope;
  /** Deployment id or route name. */
  id: string;
  source: RollupSource;
  /** Attempts (deployment scope) or requests (route scope) by outcome; route scope uses `ok` / error codes. */
  outcomes: Record<string, number>;
  /** Counts per LATENCY_BUCKETS_MS bucket (length = buckets + 1). */
  latencyHistogram: number[];
  ttftHistogram: number[];
  latencySumMs: number;
  inputTokens: number;
  outputTokens: number;
  /** USD, from usage × the deployment's price. */
  cost: number;
}

export interface RollupQuery {
  fromMinute: number;
  /** Exclusive. */
  toMinute: number;
  scope?: RollupScope;
  id?: string;
  source?: RollupSource;
}

/** One raw attempt, kept only as evidence for incidents (redacted, bounded). */
export interface AttemptSample {
  at: number;
  deployment: string;
  route: string;
  outcome: Outcome;
  status?: number;
  latencyMs: number;
  message?: string;
  requestId: string;
}

export type IncidentStatus = 'investigating' | 'identified' | 'monitoring' | 'resolved';
export type ComponentStatus = 'operational' | 'degraded_performance' | 'partial_outage' | 'major_outage' | 'under_maintenance';

export interface IncidentUpdate {
  at: number;
  status: IncidentStatus;
  message: string;
  /** Counts by outcome, example errors, failovers: whatever supports the update. */
  evidence?: Record<string, unknown>;
  /** `keel` for automatic updates, else the operator's name. */
  author: string;
}

export interface Incident {
  id: string;
  /** `deployment:<id>` or `provider:<name>`. */
  component: string;
  title: string;
  status: IncidentStatus;
  impact: Exclude<ComponentStatus, 'operational' | 'under_maintenance'>;
  openedAt: number;
  resolvedAt?: number;
  /** The measured impact window: first and last bad minute, apart from when updates were posted. */
  impactStart: number;
  impactEnd?: number;
  updates: IncidentUpdate[];
}

export interface MaintenanceWindow {
  id: string;
  component: string;
  startsAt: number;
  endsAt: number;
  description: string;
  createdBy: string;
}

export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

export interface VirtualKeyRecord {
  id: string;
  name: string;
  /** SHA-256 of the secret: the secret itself is shown once and never stored. */
  hash: string;
  /** The first characters, to recognise a key in lists (`keel_ab12…`). */
  prefix: string;
  tenant: string;
  allowedModels: string[] | null;
  rpm: number | null;
  tpm: number | null;
  dailyBudgetUsd: number | null;
  monthlyBudgetUsd: number | null;
  priority: 'interactive' | 'batch';
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

/**
 * A response Keel served on the Responses API, kept so a later request can continue the conversation
 * (`previous_response_id`) on whichever provider answers it, and so `GET /v1/responses/{id}` can read it
 * back. Responses belong to a tenant: another tenant's id is not found.
 */
export interface StoredResponse {
  id: string;
  /** The caller's tenant; '' for requests without a virtual key. */
  tenant: string;
  createdAt: number;
  /** The Responses API `response` object as the client received it. */
  response: Record<string, unknown>;
  /** Every input item of the conversation up to this response, earlier turns first. */
  items: unknown[];
}

/** How bad a vendor says an incident is (Statuspage's scale; other formats are mapped onto it). */
export type VendorImpact = 'none' | 'minor' | 'major' | 'critical';

export interface VendorIncidentUpdate {
  /** When the vendor says it posted the update. */
  at: number;
  /** The vendor's word, lower-case (`investigating`, `identified`, `monitoring`, `resolved`, …). */
  status: string;
  body: string;
}

/**
 * An incident as a provider's public status page declared it, with when Keel first and last saw it: the
 * vendor's voice, kept beside Keel's own incidents (never merged into them).
 */
export interface VendorIncident {
  /** The status source's name (`anthropic`, `openai`, `google`, …). */
  source: string;
  /** The vendor's own incident id (unique within the source). */
  id: string;
  title: string;
  /** The vendor's current word for it, lower-case. */
  status: string;
  impact: VendorImpact;
  /** The vendor's component names the incident names (or, for a feed, its title). */
  components: string[];
  /** Keel deployments those components map to. */
  deployments: string[];
  /** The vendor's declared window: start (its `started_at` or creation) and resolution. */
  startedAt: number;
  resolvedAt?: number;
  firstSeenAt: number;
  lastSeenAt: number;
  url?: string;
  /** Oldest first. */
  updates: VendorIncidentUpdate[];
}

export interface VendorIncidentQuery {
  source?: string;
  /** Incidents whose declared window overlaps [from, to): started before `to`, not resolved before `from`. */
  from?: number;
  to?: number;
  limit?: number;
}

export interface PruneCutoffs {
  rollupsBefore: number;
  samplesBefore: number;
  incidentsBefore: number;
  /** Absent: responses are kept. */
  responsesBefore?: number;
}

export interface Store {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Adds the rows' counts to whatever is stored for the same (minute, scope, id, source). */
  addRollups(rows: RollupRow[]): Promise<void>;
  readRollups(query: RollupQuery): Promise<RollupRow[]>;
  addSamples(samples: AttemptSample[]): Promise<void>;
  /** Samples with `from <= at < to`, newest first, at most `limit`. */
  readSamples(query: { deployment?: string; from: number; to: number; limit: number }): Promise<AttemptSample[]>;

  /** Inserts or replaces the incident, updates included (saving the same incident twice is harmless). */
  saveIncident(incident: Incident): Promise<void>;
  getIncident(id: string): Promise<Incident | undefined>;
  /**
   * Newest first (by `openedAt`). `from`/`to` select incidents whose life overlaps [from, to): opened
   * before `to` and not resolved before `from`. `openOnly` keeps those not `resolved`.
   */
  listIncidents(query: { from?: number; to?: number; component?: string; openOnly?: boolean; limit?: number }): Promise<Incident[]>;

  saveMaintenance(window: MaintenanceWindow): Promise<void>;
  /** Windows overlapping [from, to), by start time. */
  listMaintenance(query: { from: number; to: number }): Promise<MaintenanceWindow[]>;

  saveKey(key: VirtualKeyRecord): Promise<void>;
  getKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined>;
  /** Oldest first (by `createdAt`). */
  listKeys(): Promise<VirtualKeyRecord[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /**
   * Several entries, in this order, all or none: one transaction (a flush of spend for a thousand keys is
   * one write, not a thousand).
   */
  appendAuditEntries(entries: readonly AuditEntry[]): Promise<void>;
  /** Entries with `at >= from`, newest first (entries of the same millisecond: last appended first). */
  listAudit(query: { from?: number; limit: number }): Promise<AuditEntry[]>;

  /** Inserts or replaces the response (same tenant and id). */
  saveResponse(response: StoredResponse): Promise<void>;
  getResponse(tenant: string, id: string): Promise<StoredResponse | undefined>;
  /** True when a response was deleted. */
  deleteResponse(tenant: string, id: string): Promise<boolean>;

  /** Inserts or replaces the vendor incident (same source and id). */
  saveVendorIncident(incident: VendorIncident): Promise<void>;
  /** Newest first (by `startedAt`). */
  listVendorIncidents(query: VendorIncidentQuery): Promise<VendorIncident[]>;

  /**
   * Deletes rollups (by minute), samples (by `at`), resolved incidents and vendor incidents (by
   * `resolvedAt`) and stored
   * responses (by `createdAt`) strictly older than the cut-offs. Open incidents are never pruned.
   */
  prune(cutoffs: PruneCutoffs): Promise<void>;
}
