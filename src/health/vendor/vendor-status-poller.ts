/**
 * Reads the providers' public status pages beside the request path: each source on its own schedule
 * (a poll interval, doubled per consecutive failure up to a ceiling), conditional requests, a timeout and a
 * body cap per document. What a page declared is stored as `VendorIncident`s, each stamped with when Keel
 * first and last saw it; which deployments a vendor says are in a major outage is kept in memory for the
 * plan (see `vendor-plan-order.ts`). Nothing here is awaited by a request, and every failure — a page that
 * times out, answers 500, sends malformed JSON or too much of it — is reported once per streak through
 * `onProblem` and retried later; it never throws out of `pollDue`.
 */
import type { Clock } from '../../core/clock.js';
import type { IntervalTimer } from '../../store/interval-timer.js';
import type { ComponentStatus, Store, VendorIncident } from '../../store/store.js';
import { fetchStatusDocument, type FetchLimits, type FetchedDocument, type Validators } from './fetch-status-document.js';
import { parseGoogleIncidents } from './parse-google-incidents.js';
import { parseStatusFeed } from './parse-status-feed.js';
import { parseStatuspage } from './parse-statuspage.js';
import { deploymentsOf, type ResolvedStatusSource, type StatusSourceFormat } from './vendor-source-defaults.js';
import { watchedDeployments } from './two-voices.js';
import { VendorStatusError, type ParsedVendorIncident, type VendorSnapshot } from './vendor-snapshot.js';

export const VENDOR_POLL_DEFAULTS = {
  // Vendors post updates minutes apart; reading once a minute measures Keel's lead to about a minute
  // while costing each page one (mostly 304) request a minute.
  pollIntervalMs: 60_000, // 1 min
  // A status page slower than this is having its own outage; the next poll will try again.
  timeoutMs: 10_000, // 10 s
  // Google Cloud's incidents.json holds a year of incidents (a few MB); 8 MiB is past any real page and
  // bounds what a broken or hostile one can make Keel hold.
  maxBodyBytes: 8 * 1024 * 1024, // 8 MiB
  // A page down for hours is still tried every quarter hour, not hammered.
  maxBackoffMs: 15 * 60_000, // 15 min
  // How often the schedule is checked; sources are read only when due, so this is not a poll rate.
  tickMs: 5_000, // 5 s
} as const;

/** A vendor-declared major outage on a component mapped to a deployment. */
export interface VendorOutage {
  deployment: string;
  source: string;
  /** The vendor's component name, or the incident's title when the outage comes from an incident. */
  component: string;
  incidentId?: string;
}

export interface VendorStatusPollerOptions {
  sources: ResolvedStatusSource[];
  store: Pick<Store, 'saveVendorIncident' | 'listVendorIncidents'>;
  clock: Clock;
  pollIntervalMs?: number;
  timeoutMs?: number;
  maxBodyBytes?: number;
  maxBackoffMs?: number;
  fetchDocument?: (url: string, validators: Validators, limits: FetchLimits) => Promise<FetchedDocument>;
  /** A source could not be read: called on the first failure of a streak only. */
  onProblem?: (source: string, error: VendorStatusError) => void;
  /** A source that was failing was read again. */
  onRecovered?: (source: string) => void;
  /** The vendor-declared major outages changed (all of them, across sources). */
  onOutagesChanged?: (outages: VendorOutage[]) => void;
  /** The store refused a save (retried on the next change). */
  onError?: (err: unknown) => void;
}

interface SourceState {
  source: ResolvedStatusSource;
  validators: Map<string, Validators>;
  snapshots: Map<string, VendorSnapshot>;
  nextAt: number;
  failures: number;
  known: Map<string, VendorIncident>;
  outages: VendorOutage[];
}

const PARSERS: Record<StatusSourceFormat, (text: string) => VendorSnapshot> = { statuspage: parseStatuspage, google: parseGoogleIncidents, feed: parseStatusFeed };
const MAJOR: readonly string[] = ['major', 'critical'];

export class VendorStatusPoller {
  private readonly states: SourceState[];
  private readonly limits: FetchLimits;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly fetchDocument: NonNullable<VendorStatusPollerOptions['fetchDocument']>;
  private running: Promise<void> | undefined;
  /** Deployments some source maps a component to: where a vendor's silence means something. */
  readonly watched: ReadonlySet<string>;

  constructor(private readonly options: VendorStatusPollerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? VENDOR_POLL_DEFAULTS.pollIntervalMs;
    this.maxBackoffMs = options.maxBackoffMs ?? VENDOR_POLL_DEFAULTS.maxBackoffMs;
    this.limits = { timeoutMs: options.timeoutMs ?? VENDOR_POLL_DEFAULTS.timeoutMs, maxBodyBytes: options.maxBodyBytes ?? VENDOR_POLL_DEFAULTS.maxBodyBytes };
    this.fetchDocument = options.fetchDocument ?? fetchStatusDocument;
    this.watched = watchedDeployments(options.sources);
    this.states = options.sources.map((source) => ({ source, validators: new Map(), snapshots: new Map(), nextAt: 0, failures: 0, known: new Map(), outages: [] }));
  }

  /** Checks the schedule every few seconds until the returned function is called. */
  start(timer: IntervalTimer): () => void {
    void this.pollDue();
    return timer(VENDOR_POLL_DEFAULTS.tickMs, () => void this.pollDue());
  }

  /** Reads every source that is due (never one twice at once); resolves when they are done. */
  pollDue(): Promise<void> {
    this.running ??= this.pollDueNow().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Reads every source now, whatever the schedule: for tests and an operator's explicit refresh. */
  async pollAll(): Promise<void> {
    await this.running;
    await Promise.all(this.states.map((s) => this.pollSource(s)));
  }

  /** The vendor-declared major outages on deployments, across sources. */
  outages(): VendorOutage[] {
    return this.states.flatMap((s) => s.outages);
  }

  outageOf(deployment: string): VendorOutage | undefined {
    return this.outages().find((o) => o.deployment === deployment);
  }

  private async pollDueNow(): Promise<void> {
    const now = this.options.clock.now();
    await Promise.all(this.states.filter((s) => s.nextAt <= now).map((s) => this.pollSource(s)));
  }

  private async pollSource(state: SourceState): Promise<void> {
    if (state.known.size === 0 && state.nextAt === 0) await this.loadKnown(state);
    try {
      let changed = false;
      for (const url of state.source.urls) {
        const fetched = await this.fetchDocument(url, state.validators.get(url) ?? {}, this.limits);
        if (!fetched.changed) continue;
        state.snapshots.set(url, PARSERS[state.source.format](fetched.text));
        state.validators.set(url, fetched.validators);
        changed = true;
      }
      if (state.failures > 0) this.options.onRecovered?.(state.source.name);
      state.failures = 0;
      state.nextAt = this.options.clock.now() + this.pollIntervalMs;
      if (changed) await this.absorb(state);
    } catch (err) {
      const error = err instanceof VendorStatusError ? err : new VendorStatusError('malformed', err instanceof Error ? err.message : String(err), { cause: err });
      if (state.failures === 0) this.options.onProblem?.(state.source.name, error);
      state.failures += 1;
      state.nextAt = this.options.clock.now() + Math.min(this.maxBackoffMs, this.pollIntervalMs * 2 ** state.failures);
    }
  }

  private async loadKnown(state: SourceState): Promise<void> {
    try {
      for (const incident of await this.options.store.listVendorIncidents({ source: state.source.name, limit: 500 })) state.known.set(incident.id, incident);
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /** Turns the source's documents into stored incidents (saving only what changed) and current outages. */
  private async absorb(state: SourceState): Promise<void> {
    const now = this.options.clock.now();
    const merged = new Map<string, ParsedVendorIncident>();
    const components = new Map<string, ComponentStatus>();
    for (const snapshot of state.snapshots.values()) {
      for (const i of snapshot.incidents) {
        const seen = merged.get(i.id);
        if (seen === undefined || i.updates.length > seen.updates.length || (i.resolvedAt !== undefined && seen.resolvedAt === undefined)) merged.set(i.id, i);
      }
      for (const c of snapshot.components) components.set(c.name, c.status);
    }
    const outages: VendorOutage[] = [];
    for (const [name, status] of components) {
      if (status !== 'major_outage') continue;
      for (const deployment of deploymentsOf(state.source, [name])) outages.push({ deployment, source: state.source.name, component: name });
    }
    for (const parsed of merged.values()) {
      const previous = state.known.get(parsed.id);
      const incident: VendorIncident = { source: state.source.name, ...parsed, deployments: deploymentsOf(state.source, parsed.components), firstSeenAt: previous?.firstSeenAt ?? now, lastSeenAt: now };
      if (incident.resolvedAt === undefined && MAJOR.includes(incident.impact)) {
        for (const deployment of incident.deployments) {
          if (!outages.some((o) => o.deployment === deployment)) outages.push({ deployment, source: state.source.name, component: incident.title, incidentId: incident.id });
        }
      }
      if (previous !== undefined && sameApartFromLastSeen(previous, incident)) continue;
      try {
        await this.options.store.saveVendorIncident(incident);
        state.known.set(incident.id, incident);
      } catch (err) {
        this.options.onError?.(err);
      }
    }
    const changed = JSON.stringify(state.outages) !== JSON.stringify(outages);
    state.outages = outages;
    if (changed) this.options.onOutagesChanged?.(this.outages());
  }
}

/** Whether saving `b` over `a` would change anything but `lastSeenAt` (key order aside: jsonb reorders). */
function sameApartFromLastSeen(a: VendorIncident, b: VendorIncident): boolean {
  const essence = (i: VendorIncident): string =>
    JSON.stringify([i.title, i.status, i.impact, i.components, i.deployments, i.startedAt, i.resolvedAt ?? null, i.firstSeenAt, i.url ?? null, i.updates.map((u) => [u.at, u.status, u.body])]);
  return essence(a) === essence(b);
}
