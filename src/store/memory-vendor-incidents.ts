/**
 * Vendor incidents in memory, with the filtering every store owes (`listVendorIncidents`' overlap rule):
 * what the in-memory test stores delegate to, so that rule is written once outside SQL.
 */
import type { PruneCutoffs, Store, VendorIncident, VendorIncidentQuery } from './store.js';

export class MemoryVendorIncidents implements Pick<Store, 'saveVendorIncident' | 'listVendorIncidents'> {
  private readonly byKey = new Map<string, VendorIncident>();

  async saveVendorIncident(incident: VendorIncident): Promise<void> {
    this.byKey.set(`${incident.source}\u0000${incident.id}`, structuredClone(incident));
  }

  async listVendorIncidents(q: VendorIncidentQuery): Promise<VendorIncident[]> {
    return [...this.byKey.values()]
      .filter(
        (i) =>
          (q.source === undefined || i.source === q.source) &&
          (q.to === undefined || i.startedAt < q.to) &&
          (q.from === undefined || i.resolvedAt === undefined || i.resolvedAt >= q.from),
      )
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, q.limit ?? Number.POSITIVE_INFINITY)
      .map((i) => structuredClone(i));
  }

  prune(cutoffs: Pick<PruneCutoffs, 'incidentsBefore'>): void {
    for (const [key, i] of this.byKey) if (i.resolvedAt !== undefined && i.resolvedAt < cutoffs.incidentsBefore) this.byKey.delete(key);
  }
}
