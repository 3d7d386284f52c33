/**
 * Opens, walks and resolves incidents from health. Every `evaluateEveryMs` on the injected clock it asks
 * the health windows how each deployment is doing; a deployment bad (partial or major outage, or its
 * breaker open) for `openAfterMs` gets an incident (`investigating`), named once the evidence shows a
 * dominant cause (`identified`), `monitoring` once healthy again, `resolved` after `resolveAfterMs` of
 * health; bad again while monitoring goes back to `investigating` (the same incident: flapping is one
 * story). The impact window is measured from the windows (first bad minute to the last minute with failed
 * calls), apart from when updates were posted. Every change is saved to the store off the request path
 * (errors to `onError`) and emitted as an event. Operators post updates, resolve, and declare maintenance,
 * which keeps incidents from opening for the covered component.
 */
import type { Clock } from '../core/clock.js';
import { guarded } from '../core/guarded.js';
import { TypedEmitter } from '../resilience/typed-emitter.js';
import type { Incident, IncidentStatus, IncidentUpdate, MaintenanceWindow, Store } from '../store/store.js';
import { everyOnClock } from './clock-interval.js';
import { DETECTOR_DEFAULTS } from './health-defaults.js';
import type { DeploymentHealth, HealthSnapshot, HealthWindows } from './health-windows.js';
import { dominantCause, EvidenceLog, type EvidenceAttempt, type EvidenceRequest } from './incident-evidence.js';
import { appendUpdate, AUTOMATIC_AUTHOR, evidenceRecord, floorMinute, INCIDENT_STATUSES, minuteEnd, newIncidentId, worseImpact } from './incident-lifecycle.js';
import { identifiedMessage, incidentTitle, monitoringMessage, openedMessage, reopenedMessage, resolvedMessage, stillFailingMessage } from './incident-text.js';
import { IncidentSaveQueue } from './incident-save-queue.js';
import { MaintenanceCalendar } from './maintenance-calendar.js';

export type DetectorSettings = { -readonly [K in keyof typeof DETECTOR_DEFAULTS]: number };

export interface IncidentEvent {
  incident: Incident;
  update: IncidentUpdate;
}
export interface IncidentDetectorEvents extends Record<string, unknown> {
  incidentOpened: IncidentEvent;
  incidentUpdated: IncidentEvent;
  incidentResolved: IncidentEvent;
  /** Each evaluation's snapshot, for metrics and probes. */
  evaluated: HealthSnapshot;
}

export interface DetectorSourceEvents {
  attempt: EvidenceAttempt;
  request: EvidenceRequest;
}
/** The router's `events` fits this. */
export interface DetectorEventSource {
  on<K extends keyof DetectorSourceEvents>(name: K, listener: (event: DetectorSourceEvents[K]) => void): () => void;
}

export interface IncidentDetectorOptions {
  store: Pick<Store, 'saveIncident' | 'getIncident' | 'listIncidents' | 'saveMaintenance' | 'listMaintenance'>;
  health: HealthWindows;
  clock: Clock;
  /** Shared with the health windows so maintenance shows as `under_maintenance` there too. */
  calendar?: MaintenanceCalendar;
  settings?: Partial<DetectorSettings>;
  /** A failed save or a bug in a tick; the detector carries on. */
  onError?: (error: unknown) => void;
  newId?: (nowMs: number) => string;
}

/** Per deployment: its open incident, and the runs of health the lifecycle is timed on. */
interface Tracked {
  incident: Incident | undefined;
  healthySinceMs: number | undefined;
  statusSinceMs: number;
  lastUpdateAtMs: number;
  lastFailureEndMs: number | undefined;
  outcomesSinceOpen: Record<string, number>;
  /** After an operator resolved it by hand: no automatic incident until it has been healthy once. */
  awaitHealthy: boolean;
}

export class IncidentDetector {
  readonly events = new TypedEmitter<IncidentDetectorEvents>();
  readonly calendar: MaintenanceCalendar;
  readonly settings: DetectorSettings;
  private readonly evidence: EvidenceLog;
  private readonly tracked = new Map<string, Tracked>();
  /** Open incidents on other components (providers, opened by operators): listed and updated, never automated. */
  private readonly others = new Map<string, Incident>();
  private readonly saves: IncidentSaveQueue;
  private stopLoop: (() => void) | undefined;

  constructor(private readonly options: IncidentDetectorOptions) {
    this.settings = { ...DETECTOR_DEFAULTS, ...options.settings };
    this.calendar = options.calendar ?? new MaintenanceCalendar();
    this.saves = new IncidentSaveQueue(options.store, options.onError);
    this.evidence = new EvidenceLog({ maxExamples: this.settings.maxExamples, maxExampleChars: this.settings.maxExampleChars });
  }

  /** Gathers evidence from a router's events; returns the function that unsubscribes. */
  attach(events: DetectorEventSource): () => void {
    const onError = (error: unknown): void => this.options.onError?.(error);
    const offAttempt = events.on('attempt', guarded((e: EvidenceAttempt) => this.evidence.recordAttempt(e), onError));
    const offRequest = events.on('request', guarded((e: EvidenceRequest) => this.evidence.recordRequest(e, this.options.clock.now()), onError));
    return () => (offAttempt(), offRequest());
  }

  /** Loads open incidents and maintenance from the store, then evaluates every `evaluateEveryMs`. */
  async start(): Promise<void> {
    const now = this.options.clock.now();
    await this.calendar.load(this.options.store, now);
    const open = await this.options.store.listIncidents({ openOnly: true });
    // A replica leading again after another led meanwhile trusts the store, not what it knew back then
    // (an incident it had open may have been resolved, or another opened, by the other leader).
    if (this.stopLoop === undefined) {
      this.tracked.clear();
      this.others.clear();
    }
    for (const incident of open) this.adopt(incident);
    this.stopLoop ??= everyOnClock(this.options.clock, this.settings.evaluateEveryMs, () => this.guard(() => this.tick()));
  }

  /** Stops evaluating and waits for pending saves. */
  async stop(): Promise<void> {
    this.stopLoop?.();
    this.stopLoop = undefined;
    await this.flush();
  }

  /** Resolves when every save so far has been attempted. */
  flush(): Promise<void> {
    return this.saves.flush();
  }

  openIncidents(): Incident[] {
    const open = [...this.tracked.values()].flatMap((t) => (t.incident === undefined ? [] : [t.incident]));
    return [...open, ...this.others.values()].map((i) => structuredClone(i));
  }

  /** One evaluation of every deployment; `start()` calls it on the clock, tests may call it directly. */
  tick(): HealthSnapshot {
    const now = this.options.clock.now();
    const snapshot = this.options.health.evaluate(now);
    this.saves.retryUnsaved();
    for (const h of snapshot.deployments) this.guard(() => this.step(h, now));
    this.events.emit('evaluated', snapshot);
    return snapshot;
  }

  private step(h: DeploymentHealth, now: number): void {
    const s = this.settings;
    const t = this.track(h.deployment, now);
    const run = this.options.health.badRun(h.deployment, now);
    // A breaker forced open by an operator is a decision, not a fault: alone it opens nothing.
    const breakerBad = h.breaker === 'open' || h.breaker === 'half_open';
    const bad = breakerBad || ((h.status === 'partial_outage' || h.status === 'major_outage') && h.breaker !== 'forced_open');
    const healthy = !bad && h.breaker === 'closed' && h.short.successes > 0 && h.status !== 'partial_outage' && h.status !== 'major_outage';
    // No evidence (no traffic) neither starts nor breaks a healthy run.
    if (bad) t.healthySinceMs = undefined;
    else if (healthy) t.healthySinceMs ??= now;
    if (run?.lastFailureEndMs !== undefined) t.lastFailureEndMs = Math.max(t.lastFailureEndMs ?? 0, run.lastFailureEndMs);
    const incident = t.incident;

    if (incident === undefined) {
      if (healthy) t.awaitHealthy = false;
      if (run === undefined) this.evidence.reset(h.deployment, now);
      if (h.status === 'under_maintenance' || t.awaitHealthy || !bad || run === undefined || now - run.startMs < s.openAfterMs) return;
      this.open(h, t, run, now);
      return;
    }
    incident.impact = worseImpact(incident.impact, h.status);
    const healthyForMs = t.healthySinceMs === undefined ? -1 : now - t.healthySinceMs;
    if (incident.status === 'monitoring') {
      if (t.lastFailureEndMs !== undefined && incident.impactEnd !== undefined) incident.impactEnd = Math.max(incident.impactEnd, minuteEnd(t.lastFailureEndMs));
      if (bad && run !== undefined && now - Math.max(run.startMs, t.statusSinceMs) >= s.reopenAfterMs) {
        delete incident.impactEnd;
        this.update(t, h, 'investigating', reopenedMessage(h, this.evidence.peek(h.deployment, now)), now);
      } else if (healthy && healthyForMs >= s.resolveAfterMs) {
        incident.impactEnd ??= minuteEnd(t.lastFailureEndMs ?? now);
        this.update(t, h, 'resolved', resolvedMessage(h.deployment, incident.impactStart, incident.impactEnd), now);
      }
      return;
    }
    if (healthy && healthyForMs >= s.monitorAfterMs) {
      incident.impactEnd = minuteEnd(t.lastFailureEndMs ?? now);
      this.update(t, h, 'monitoring', monitoringMessage(h), now);
      return;
    }
    if (incident.status === 'investigating' && now - t.statusSinceMs >= s.identifyAfterMs) {
      const outcomes = { ...t.outcomesSinceOpen };
      for (const [o, n] of Object.entries(this.evidence.peek(h.deployment, now).outcomes)) outcomes[o] = (outcomes[o] ?? 0) + n;
      const cause = dominantCause(outcomes, s.identifyMinShare, s.identifyMinFaults);
      if (cause !== undefined) {
        const evidence = this.evidence.peek(h.deployment, now);
        this.update(t, h, 'identified', identifiedMessage(h.deployment, cause, evidence), now, cause);
        return;
      }
    }
    if (bad && now - t.lastUpdateAtMs >= s.stillFailingUpdateEveryMs) {
      this.update(t, h, incident.status, stillFailingMessage(h.deployment, this.evidence.peek(h.deployment, now)), now);
    }
  }

  private open(h: DeploymentHealth, t: Tracked, run: { startMs: number; lastFailureEndMs: number | undefined }, now: number): void {
    const evidence = this.evidence.take(h.deployment, now);
    const impact: Incident['impact'] = h.status === 'major_outage' ? 'major_outage' : 'partial_outage';
    const incident: Incident = {
      id: (this.options.newId ?? newIncidentId)(now),
      component: h.component,
      title: incidentTitle(h.deployment, h.provider, impact),
      status: 'investigating',
      impact,
      openedAt: now,
      impactStart: floorMinute(run.startMs),
      updates: [],
    };
    const update = appendUpdate(incident, { at: now, status: 'investigating', message: openedMessage(h, evidence), evidence: evidenceRecord(h, evidence), author: AUTOMATIC_AUTHOR });
    Object.assign(t, { incident, statusSinceMs: now, lastUpdateAtMs: now, outcomesSinceOpen: { ...evidence.outcomes }, lastFailureEndMs: run.lastFailureEndMs });
    this.commit('incidentOpened', incident, update);
  }

  /** An automatic update with the evidence since the previous one. */
  private update(t: Tracked, h: DeploymentHealth, status: IncidentStatus, message: string, now: number, cause?: Parameters<typeof evidenceRecord>[2]): void {
    const incident = t.incident!;
    const evidence = this.evidence.take(h.deployment, now);
    for (const [o, n] of Object.entries(evidence.outcomes)) t.outcomesSinceOpen[o] = (t.outcomesSinceOpen[o] ?? 0) + n;
    incident.title = incidentTitle(h.deployment, h.provider, incident.impact);
    const update = appendUpdate(incident, { at: now, status, message, evidence: evidenceRecord(h, evidence, cause), author: AUTOMATIC_AUTHOR });
    if (status !== incident.updates.at(-2)?.status) t.statusSinceMs = now;
    t.lastUpdateAtMs = now;
    if (status === 'resolved') t.incident = undefined;
    this.commit(status === 'resolved' ? 'incidentResolved' : 'incidentUpdated', incident, update);
  }

  // ---- operators ----

  /** Posts an operator's update (any status; `resolved` resolves, a resolved incident may be reopened). */
  async postUpdate(id: string, status: IncidentStatus, message: string, author: string): Promise<Incident> {
    if (!INCIDENT_STATUSES.includes(status)) throw new RangeError(`unknown incident status '${status}'`);
    const now = this.options.clock.now();
    let incident = this.findOpen(id);
    if (incident === undefined) {
      const stored = await this.options.store.getIncident(id);
      if (stored === undefined) throw new RangeError(`no incident '${id}'`);
      incident = structuredClone(stored);
      if (status !== 'resolved') this.adopt(incident);
    }
    const owner = [...this.tracked.values()].find((t) => t.incident === incident);
    if (status === 'resolved') incident.impactEnd ??= minuteEnd(owner?.lastFailureEndMs ?? now);
    // Back to investigating or identified: the impact is ongoing again.
    else if (status !== 'monitoring') delete incident.impactEnd;
    const update = appendUpdate(incident, { at: now, status, message, author });
    if (owner !== undefined) {
      owner.statusSinceMs = now;
      owner.lastUpdateAtMs = now;
      if (status === 'resolved') Object.assign(owner, { incident: undefined, awaitHealthy: true });
    } else if (status === 'resolved') this.others.delete(id);
    await this.commit(status === 'resolved' ? 'incidentResolved' : 'incidentUpdated', incident, update);
    return structuredClone(incident);
  }

  resolve(id: string, message: string, author: string): Promise<Incident> {
    return this.postUpdate(id, 'resolved', message, author);
  }

  /** Opens an incident by hand, on any component (`provider:openai`, `keel`, a deployment). */
  async openIncident(component: string, title: string, impact: Incident['impact'], message: string, author: string): Promise<Incident> {
    const now = this.options.clock.now();
    const incident: Incident = { id: (this.options.newId ?? newIncidentId)(now), component, title, status: 'investigating', impact, openedAt: now, impactStart: floorMinute(now), updates: [] };
    const update = appendUpdate(incident, { at: now, status: 'investigating', message, author });
    this.adopt(incident);
    await this.commit('incidentOpened', incident, update);
    return structuredClone(incident);
  }

  async declareMaintenance(component: string, startsAt: number, endsAt: number, description: string, author: string): Promise<MaintenanceWindow> {
    if (!(endsAt > startsAt)) throw new RangeError('a maintenance window must end after it starts');
    const window: MaintenanceWindow = { id: `mnt_${startsAt.toString(36)}_${newIncidentId(startsAt).slice(-8)}`, component, startsAt, endsAt, description, createdBy: author };
    await this.options.store.saveMaintenance(window);
    this.calendar.add(window);
    return window;
  }

  // ---- internals ----

  private findOpen(id: string): Incident | undefined {
    for (const t of this.tracked.values()) if (t.incident?.id === id) return t.incident;
    return this.others.get(id);
  }

  /** Takes charge of an open incident (loaded at start, or opened by hand). */
  private adopt(incident: Incident): Incident {
    const deployment = incident.component.startsWith('deployment:') ? incident.component.slice('deployment:'.length) : undefined;
    if (deployment === undefined || !this.options.health.deploymentIds().includes(deployment)) {
      this.others.set(incident.id, incident);
      return incident;
    }
    const t = this.track(deployment, this.options.clock.now());
    // One open incident per deployment is automated; an older one reopened by hand is only listed.
    if (t.incident !== undefined && t.incident.id !== incident.id) {
      this.others.set(incident.id, incident);
      return incident;
    }
    const last = incident.updates.at(-1)?.at ?? incident.openedAt;
    Object.assign(t, { incident, statusSinceMs: last, lastUpdateAtMs: last });
    return incident;
  }

  private track(deployment: string, now: number): Tracked {
    let t = this.tracked.get(deployment);
    if (t === undefined) {
      t = { incident: undefined, healthySinceMs: undefined, statusSinceMs: now, lastUpdateAtMs: now, lastFailureEndMs: undefined, outcomesSinceOpen: {}, awaitHealthy: false };
      this.tracked.set(deployment, t);
    }
    return t;
  }

  /** Queues the save (off the caller's path) and tells listeners; operators await the returned save. */
  private commit(event: 'incidentOpened' | 'incidentUpdated' | 'incidentResolved', incident: Incident, update: IncidentUpdate): Promise<void> {
    const saved = this.saves.enqueue(incident);
    this.events.emit(event, { incident: structuredClone(incident), update: structuredClone(update) });
    return saved;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
