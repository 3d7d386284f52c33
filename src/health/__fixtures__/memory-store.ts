/**
 * A `Store` in memory, for the health and status tests only: the same contract as the SQLite store
 * (checked by `memory-store.test.ts` against `describeStoreContract`), no disk, and hooks to make a save
 * fail so tests can see errors go to `onError` instead of into the router.
 */
import { addRollup, cloneRollup, rollupKey } from '../../store/rollup-math.js';
import { MemoryResponses } from '../../store/memory-responses.js';
import { MemoryVendorIncidents } from '../../store/memory-vendor-incidents.js';
import type { AttemptSample, AuditEntry, Incident, MaintenanceWindow, PruneCutoffs, RollupQuery, RollupRow, Store, StoredResponse, VendorIncident, VendorIncidentQuery, VirtualKeyRecord } from '../../store/store.js';

/** What survives a close and reopen (a test harness reopens the same data). */
export interface MemoryData {
  rollups: Map<string, RollupRow>;
  samples: AttemptSample[];
  incidents: Map<string, Incident>;
  maintenance: Map<string, MaintenanceWindow>;
  keys: Map<string, VirtualKeyRecord>;
  audit: AuditEntry[];
  responses: MemoryResponses;
  vendorIncidents: MemoryVendorIncidents;
}

export function emptyMemoryData(): MemoryData {
  return { rollups: new Map(), samples: [], incidents: new Map(), maintenance: new Map(), keys: new Map(), audit: [], responses: new MemoryResponses(), vendorIncidents: new MemoryVendorIncidents() };
}

const clone = <T>(value: T): T => structuredClone(value);

export class MemoryStore implements Store {
  /** Set to make the next saves of incidents fail (the error is thrown as is). */
  failIncidentSaves: Error | undefined;
  /** Every incident save, in order, as saved (copies). */
  readonly incidentSaves: Incident[] = [];

  constructor(readonly data: MemoryData = emptyMemoryData()) {}

  async migrate(): Promise<void> {}
  async close(): Promise<void> {}

  async addRollups(rows: RollupRow[]): Promise<void> {
    for (const row of rows) {
      const key = `${row.minute}\u0000${rollupKey(row)}`;
      const existing = this.data.rollups.get(key);
      this.data.rollups.set(key, existing === undefined ? cloneRollup(row) : addRollup(existing, row));
    }
  }

  async readRollups(q: RollupQuery): Promise<RollupRow[]> {
    return [...this.data.rollups.values()]
      .filter((r) => r.minute >= q.fromMinute && r.minute < q.toMinute && (q.scope === undefined || r.scope === q.scope) && (q.id === undefined || r.id === q.id) && (q.source === undefined || r.source === q.source))
      .sort((a, b) => a.minute - b.minute)
      .map(cloneRollup);
  }

  async addSamples(samples: AttemptSample[]): Promise<void> {
    this.data.samples.push(...samples.map(clone));
  }

  async readSamples(q: { deployment?: string; from: number; to: number; limit: number }): Promise<AttemptSample[]> {
    return this.data.samples
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.at >= q.from && s.at < q.to && (q.deployment === undefined || s.deployment === q.deployment))
      .sort((a, b) => b.s.at - a.s.at || b.i - a.i)
      .slice(0, q.limit)
      .map(({ s }) => clone(s));
  }

  async saveIncident(incident: Incident): Promise<void> {
    if (this.failIncidentSaves !== undefined) throw this.failIncidentSaves;
    this.data.incidents.set(incident.id, clone(incident));
    this.incidentSaves.push(clone(incident));
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const found = this.data.incidents.get(id);
    return found === undefined ? undefined : clone(found);
  }

  async listIncidents(q: { from?: number; to?: number; component?: string; openOnly?: boolean; limit?: number }): Promise<Incident[]> {
    return [...this.data.incidents.values()]
      .filter(
        (i) =>
          (q.component === undefined || i.component === q.component) &&
          (q.openOnly !== true || i.status !== 'resolved') &&
          (q.to === undefined || i.openedAt < q.to) &&
          (q.from === undefined || i.resolvedAt === undefined || i.resolvedAt >= q.from),
      )
      .sort((a, b) => b.openedAt - a.openedAt)
      .slice(0, q.limit ?? Number.POSITIVE_INFINITY)
      .map(clone);
  }

  async saveMaintenance(window: MaintenanceWindow): Promise<void> {
    this.data.maintenance.set(window.id, clone(window));
  }

  async listMaintenance(q: { from: number; to: number }): Promise<MaintenanceWindow[]> {
    return [...this.data.maintenance.values()]
      .filter((w) => w.startsAt < q.to && w.endsAt > q.from)
      .sort((a, b) => a.startsAt - b.startsAt)
      .map(clone);
  }

  async saveKey(key: VirtualKeyRecord): Promise<void> {
    this.data.keys.set(key.id, clone(key));
  }

  async getKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined> {
    const found = [...this.data.keys.values()].find((k) => k.hash === hash);
    return found === undefined ? undefined : clone(found);
  }

  async listKeys(): Promise<VirtualKeyRecord[]> {
    return [...this.data.keys.values()].sort((a, b) => a.createdAt - b.createdAt).map(clone);
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.appendAuditEntries([entry]);
  }

  async appendAuditEntries(entries: readonly AuditEntry[]): Promise<void> {
    for (const entry of entries) this.data.audit.push(clone(entry));
  }

  async listAudit(q: { from?: number; limit: number }): Promise<AuditEntry[]> {
    return this.data.audit
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => q.from === undefined || e.at >= q.from)
      .sort((a, b) => b.e.at - a.e.at || b.i - a.i)
      .slice(0, q.limit)
      .map(({ e }) => clone(e));
  }

  saveResponse(response: StoredResponse): Promise<void> {
    return this.data.responses.saveResponse(response);
  }

  getResponse(tenant: string, id: string): Promise<StoredResponse | undefined> {
    return this.data.responses.getResponse(tenant, id);
  }

  deleteResponse(tenant: string, id: string): Promise<boolean> {
    return this.data.responses.deleteResponse(tenant, id);
  }

  saveVendorIncident(incident: VendorIncident): Promise<void> {
    return this.data.vendorIncidents.saveVendorIncident(incident);
  }

  listVendorIncidents(query: VendorIncidentQuery): Promise<VendorIncident[]> {
    return this.data.vendorIncidents.listVendorIncidents(query);
  }

  async prune(c: PruneCutoffs): Promise<void> {
    this.data.responses.prune(c);
    this.data.vendorIncidents.prune(c);
    for (const [key, row] of this.data.rollups) if (row.minute < c.rollupsBefore) this.data.rollups.delete(key);
    this.data.samples = this.data.samples.filter((s) => s.at >= c.samplesBefore);
    for (const [id, i] of this.data.incidents) if (i.status === 'resolved' && i.resolvedAt !== undefined && i.resolvedAt < c.incidentsBefore) this.data.incidents.delete(id);
  }
}
