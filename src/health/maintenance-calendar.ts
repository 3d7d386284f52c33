/**
 * Declared maintenance windows, held in memory for the checks made every few seconds (health marks a
 * covered component `under_maintenance`, the detector opens no incident for it) and loaded from the store
 * at start. A window on `provider:<name>` covers every deployment of that provider; one on `keel` covers
 * everything.
 */
import type { MaintenanceWindow, Store } from '../store/store.js';

export const componentOfDeployment = (id: string): string => `deployment:${id}`;
export const componentOfProvider = (name: string): string => `provider:${name}`;
export const componentOfRoute = (name: string): string => `route:${name}`;
export const KEEL_COMPONENT = 'keel';

export class MaintenanceCalendar {
  private windows = new Map<string, MaintenanceWindow>();

  /** Loads the windows that end after `fromMs` (past ones matter only to the status page, which reads the store). */
  async load(store: Pick<Store, 'listMaintenance'>, fromMs: number): Promise<void> {
    // Far enough ahead for anything an operator schedules; the store has no "open-ended" query.
    const horizonMs = fromMs + 365 * 86_400_000;
    for (const w of await store.listMaintenance({ from: fromMs, to: horizonMs })) this.windows.set(w.id, w);
  }

  add(window: MaintenanceWindow): void {
    this.windows.set(window.id, window);
  }

  /** The window covering the component at `atMs`, directly or through its provider or Keel as a whole. */
  covering(component: string, atMs: number, provider?: string): MaintenanceWindow | undefined {
    const names = new Set([component, KEEL_COMPONENT]);
    if (provider !== undefined) names.add(componentOfProvider(provider));
    for (const w of this.windows.values()) {
      if (names.has(w.component) && w.startsAt <= atMs && atMs < w.endsAt) return w;
    }
    return undefined;
  }

  /** Windows not yet over at `atMs` (in progress or scheduled), by start. */
  upcoming(atMs: number): MaintenanceWindow[] {
    return [...this.windows.values()].filter((w) => w.endsAt > atMs).sort((a, b) => a.startsAt - b.startsAt);
  }

  /** Forgets windows that ended before `beforeMs`. */
  prune(beforeMs: number): void {
    for (const [id, w] of this.windows) if (w.endsAt < beforeMs) this.windows.delete(id);
  }
}
