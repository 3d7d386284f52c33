/**
 * A tiny in-memory `Store` for the SLO tests: rollups add up per (minute, scope, id, source) exactly as
 * the real stores do (same `addRollup`), incidents and maintenance windows are kept as given. Keys,
 * audit and samples are kept but barely used here.
 */
import { addRollup, cloneRollup, rollupKey } from '../../store/rollup-math.js';
import { MemoryVendorIncidents } from '../../store/memory-vendor-incidents.js';
import type { AttemptSample, AuditEntry, Incident, MaintenanceWindow, RollupQuery, RollupRow, Store, VendorIncident, VendorIncidentQuery, VirtualKeyRecord } from '../../store/store.js';

export class SloMemoryStore implements Store {
  readonly rollups = new Map<string, RollupRow>();
  readonly incidents = new Map<string, Incident>();
  readonly maintenance: MaintenanceWindow[] = [];
  private samples: AttemptSample[] = [];
  private keys: VirtualKeyRecord[] = [];
  private audit: AuditEntry[] = [];
  readonly vendorIncidents = new MemoryVendorIncidents();
  /** How many times rollups were read (the monitor should re-read only recent minutes). */
  reads = 0;

  async migrate(): Promise<void> {}
  async close(): Promise<void> {}

  async addRollups(rows: RollupRow[]): Promise<void> {
    for (const row of rows) {
      const key = `${row.minute}\u0000${rollupKey(row)}`;
      const held = this.rollups.get(key);
      this.rollups.set(key, held === undefined ? cloneRollup(row) : addRollup(held, row));
    }
  }

  async readRollups(q: RollupQuery): Promise<RollupRow[]> {
    this.reads++;
    const out: RollupRow[] = [];
    for (const r of this.rollups.values()) {
      if (r.minute < q.fromMinute || r.minute >= q.toMinute) continue;
      if ((q.scope !== undefined && r.scope !== q.scope) || (q.id !== undefined && r.id !== q.id) || (q.source !== undefined && r.source !== q.source)) continue;
      out.push(cloneRollup(r));
    }
    return out.sort((a, b) => a.minute - b.minute);
  }

  async addSamples(samples: AttemptSample[]): Promise<void> {
    this.samples.push(...samples);
  }

  async readSamples(q: { deployment?: string; from: number; to: number; limit: number }): Promise<AttemptSample[]> {
    return this.samples
      .filter((s) => s.at >= q.from && s.at < q.to && (q.deployment === undefined || s.deployment === q.deployment))
      .sort((a, b) => b.at - a.at)
      .slice(0, q.limit);
  }

  async saveIncident(incident: Incident): Promise<void> {
    this.incidents.set(incident.id, structuredClone(incident));
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const incident = this.incidents.get(id);
    return incident === undefined ? undefined : structuredClone(incident);
  }

  async listIncidents(q: { from?: number; to?: number; component?: string; openOnly?: boolean; limit?: number }): Promise<Incident[]> {
    return [...this.incidents.values()]
      .filter((i) => (q.to === undefined || i.openedAt < q.to) && (q.from === undefined || i.resolvedAt === undefined || i.resolvedAt >= q.from))
      .filter((i) => (q.component === undefined || i.component === q.component) && (q.openOnly !== true || i.status !== 'resolved'))
      .sort((a, b) => b.openedAt - a.openedAt)
      .slice(0, q.limit ?? Infinity)
      .map((i) => structuredClone(i));
  }

  async saveMaintenance(window: MaintenanceWindow): Promise<void> {
    this.maintenance.push({ ...window });
  }

  async listMaintenance(q: { from: number; to: number }): Promise<MaintenanceWindow[]> {
    return this.maintenance.filter((w) => w.startsAt < q.to && w.endsAt > q.from).sort((a, b) => a.startsAt - b.startsAt);
  }

  async saveKey(key: VirtualKeyRecord): Promise<void> {
    this.keys.push(key);
  }

  async getKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined> {
    return this.keys.find((k) => k.hash === hash);
  }

  async listKeys(): Promise<VirtualKeyRecord[]> {
    return [...this.keys];
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.appendAuditEntries([entry]);
  }

  async appendAuditEntries(entries: readonly AuditEntry[]): Promise<void> {
    this.audit.push(...entries);
  }

  async listAudit(q: { from?: number; limit: number }): Promise<AuditEntry[]> {
    return this.audit.filter((e) => q.from === undefined || e.at >= q.from).reverse().slice(0, q.limit);
  }

  async saveResponse(): Promise<void> {}
  async getResponse(): Promise<undefined> {
    return undefined;
  }
  async deleteResponse(): Promise<boolean> {
    return false;
  }

  saveVendorIncident(incident: VendorIncident): Promise<void> {
    return this.vendorIncidents.saveVendorIncident(incident);
  }
  listVendorIncidents(query: VendorIncidentQuery): Promise<VendorIncident[]> {
    return this.vendorIncidents.listVendorIncidents(query);
  }

  async prune(): Promise<void> {}
}
