/**
 * Incident saves, off the caller's path and in order: each change is queued as a copy, the store sees the
 * latest version of each incident, and a save the store refused is kept and retried (`retryUnsaved`,
 * called on every detector tick) instead of being lost. Failures go to `onError`; the promise returned
 * by `enqueue` also rejects, for callers (operators) who want to know.
 */
import type { Incident, Store } from '../store/store.js';

export class IncidentSaveQueue {
  private chain: Promise<void> = Promise.resolve();
  /** Changes not yet in the store (a save failed or is pending), by incident id. */
  private readonly unsaved = new Map<string, Incident>();
  private pending = 0;

  constructor(
    private readonly store: Pick<Store, 'saveIncident'>,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {}

  enqueue(incident: Incident): Promise<void> {
    this.unsaved.set(incident.id, structuredClone(incident));
    return this.save(incident.id);
  }

  /** Saves again what the store refused earlier, once nothing else is queued. */
  retryUnsaved(): void {
    if (this.pending > 0) return;
    for (const id of this.unsaved.keys()) void this.save(id).catch(() => undefined);
  }

  /** Resolves when every save queued so far has been attempted. */
  flush(): Promise<void> {
    return this.chain;
  }

  private save(id: string): Promise<void> {
    this.pending++;
    const saved = this.chain
      .then(async () => {
        const latest = this.unsaved.get(id);
        if (latest === undefined) return;
        await this.store.saveIncident(latest);
        if (this.unsaved.get(id) === latest) this.unsaved.delete(id);
      })
      .finally(() => this.pending--);
    this.chain = saved.catch((error: unknown) => this.onError?.(error));
    return saved;
  }
}
