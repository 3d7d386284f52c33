/**
 * Stored responses in memory, bounded: what serves `previous_response_id` when Keel runs without a store
 * (the in-process library), and what the in-memory test stores delegate to. The oldest response is
 * forgotten first once the cap is reached, so a long-lived process cannot grow without limit.
 */
import type { PruneCutoffs, Store, StoredResponse } from './store.js';

export const MEMORY_RESPONSES_DEFAULTS = {
  // Enough for the conversations one process serves between restarts; past it the oldest are forgotten.
  maxResponses: 10_000,
} as const;

export class MemoryResponses implements Pick<Store, 'saveResponse' | 'getResponse' | 'deleteResponse'> {
  private readonly byKey = new Map<string, StoredResponse>();

  constructor(private readonly maxResponses: number = MEMORY_RESPONSES_DEFAULTS.maxResponses) {}

  async saveResponse(response: StoredResponse): Promise<void> {
    const key = keyOf(response.tenant, response.id);
    this.byKey.delete(key); // re-inserted last: Map order is insertion order, oldest first
    this.byKey.set(key, structuredClone(response));
    for (const oldest of this.byKey.keys()) {
      if (this.byKey.size <= this.maxResponses) break;
      this.byKey.delete(oldest);
    }
  }

  async getResponse(tenant: string, id: string): Promise<StoredResponse | undefined> {
    const found = this.byKey.get(keyOf(tenant, id));
    return found === undefined ? undefined : structuredClone(found);
  }

  async deleteResponse(tenant: string, id: string): Promise<boolean> {
    return this.byKey.delete(keyOf(tenant, id));
  }

  prune(cutoffs: Pick<PruneCutoffs, 'responsesBefore'>): void {
    if (cutoffs.responsesBefore === undefined) return;
    for (const [key, response] of this.byKey) if (response.createdAt < cutoffs.responsesBefore) this.byKey.delete(key);
  }
}

function keyOf(tenant: string, id: string): string {
  return `${tenant}\u0000${id}`;
}
