/**
 * The health box: passive health windows from live attempts, the incident detector, active probes and
 * maintenance. `createHealthMonitor` wires them to a router and a store in one call; the parts are
 * exported for tests and for anyone wiring them differently.
 */
import { systemClock, type Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';
import { HealthWindows, type HealthEventSource } from './health-windows.js';
import { IncidentDetector, type DetectorEventSource, type DetectorSettings } from './incident-detector.js';
import type { HealthThresholds } from './judge-status.js';
import { MaintenanceCalendar } from './maintenance-calendar.js';
import { ProbeScheduler, type ProbeResult, type ProbeRouter, type ProbeSettings } from './probes.js';
import { seedFromStore, type SeedResult } from './seed-from-rollups.js';

export { HEALTH_DEFAULTS, DETECTOR_DEFAULTS, PROBE_DEFAULTS } from './health-defaults.js';
export { HealthWindows, type DeploymentHealth, type GroupHealth, type HealthAttempt, type HealthEventSource, type HealthRequest, type HealthSnapshot, type RouteHealth } from './health-windows.js';
export { judgeStatus, worstStatus, STATUS_SEVERITY, type BreakerView, type HealthThresholds, type Judgement, type WindowStats } from './judge-status.js';
export { IncidentDetector, type DetectorSettings, type IncidentDetectorEvents, type IncidentDetectorOptions, type IncidentEvent } from './incident-detector.js';
export { CAUSE_TEXT, dominantCause, type CauseCategory, type Evidence } from './incident-evidence.js';
export { MaintenanceCalendar, componentOfDeployment, componentOfProvider, componentOfRoute, KEEL_COMPONENT } from './maintenance-calendar.js';
export { ProbeScheduler, type ProbeResult, type ProbeRouter, type ProbeSettings, type ProbedDeployment } from './probes.js';
export { isProbeRequestId, newProbeRequestId, PROBE_REQUEST_ID_PREFIX } from './probe-id.js';
export { seedFromRollups, seedFromStore, type SeedResult } from './seed-from-rollups.js';
export { isServedFailure, countsForAvailability } from './served-outcome.js';
export { percentiles, quantile, type Percentiles } from './histogram.js';
export { VendorStatusPoller, VENDOR_POLL_DEFAULTS, type VendorOutage, type VendorStatusPollerOptions } from './vendor/vendor-status-poller.js';
export { createVendorStatusPoller } from './vendor/create-vendor-status-poller.js';
export { DEFAULT_STATUS_SOURCES, resolveStatusSources, type ResolvedStatusSource } from './vendor/vendor-source-defaults.js';
export { VendorStatusError } from './vendor/vendor-snapshot.js';
export { vendorPlanOrder, type VendorSignalMode } from './vendor/vendor-plan-order.js';

export interface HealthMonitorOptions {
  /** Deployment ids with their provider, and route names (a `RuntimeConfig` fits). */
  config: {
    deployments: ReadonlyMap<string, { id: string; provider: string; model: string; price?: { input_per_mtok: number; output_per_mtok: number } | undefined }>;
    routes: ReadonlyMap<string, unknown>;
  };
  /** The router (its events feed health and evidence; probes dispatch through it). */
  router: { events: HealthEventSource & DetectorEventSource } & ProbeRouter;
  /** Incidents and maintenance; its rollups seed the windows when this monitor takes over the detector. */
  store: Pick<Store, 'saveIncident' | 'getIncident' | 'listIncidents' | 'saveMaintenance' | 'listMaintenance' | 'readRollups'>;
  clock?: Clock;
  health?: Partial<HealthThresholds>;
  detector?: Partial<DetectorSettings>;
  /** Probes run only with `enabled: true`. */
  probes?: Partial<ProbeSettings>;
  onProbe?: (result: ProbeResult) => void;
  /** Store failures and listener bugs: log them; nothing here throws into the router. */
  onError?: (error: unknown) => void;
  /** The windows were seeded from the store's rollups on taking over the detector. */
  onSeeded?: (result: SeedResult) => void;
}

export interface HealthMonitor {
  windows: HealthWindows;
  detector: IncidentDetector;
  calendar: MaintenanceCalendar;
  /** Undefined unless probes are enabled. */
  probes: ProbeScheduler | undefined;
  /** Follows the router's attempts, requests and breakers in the windows (idempotent; `start()` does it too). */
  watch(): void;
  /**
   * Takes over the detector and the probes (a replica that acquired the leader lease): seeds the windows
   * with the store's rollups of minutes they did not watch, loads open incidents, starts evaluating.
   * Transitions run one at a time, so a `stepDown()` called meanwhile wins.
   */
  lead(): Promise<void>;
  /** Stops the detector and the probes; the windows keep following traffic (the status page reads them). */
  stepDown(): Promise<void>;
  /** `watch()` and `lead()`: a single instance. */
  start(): Promise<void>;
  /** Unsubscribes, stops the loops and waits for pending incident saves. */
  stop(): Promise<void>;
}

export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const clock = options.clock ?? systemClock;
  const onError = options.onError;
  const calendar = new MaintenanceCalendar();
  const deployments = [...options.config.deployments.values()];
  const windows = new HealthWindows({ clock, calendar, deployments, routes: options.config.routes.keys(), ...(options.health === undefined ? {} : { thresholds: options.health }), ...(onError === undefined ? {} : { onError }) });
  const detector = new IncidentDetector({ store: options.store, health: windows, clock, calendar, ...(options.detector === undefined ? {} : { settings: options.detector }), ...(onError === undefined ? {} : { onError }) });
  const probes =
    options.probes?.enabled === true
      ? new ProbeScheduler({
          router: options.router,
          health: windows,
          clock,
          deployments: deployments.map((d) => ({ id: d.id, model: d.model, price: d.price })),
          settings: options.probes,
          ...(options.onProbe === undefined ? {} : { onProbe: options.onProbe }),
          ...(onError === undefined ? {} : { onError }),
        })
      : undefined;
  let detachWindows: (() => void) | undefined;
  let detachDetector: (() => void) | undefined;
  // Lease events arrive whenever they like; the transitions they ask for run in order, and each one goes
  // to the state last asked for (a takeover still seeding when the lease is lost never starts the loop).
  let wanted = false;
  let leading = false;
  let transitions = Promise.resolve();
  let cancelRetry = (): void => undefined;
  const retryLeadMs = detector.settings.evaluateEveryMs;
  const transition = (): Promise<void> => {
    transitions = transitions.then(async () => {
      if (wanted === leading) return;
      if (!wanted) {
        leading = false;
        detachDetector?.();
        detachDetector = undefined;
        probes?.stop();
        await detector.stop();
        return;
      }
      const seeded = await seedFromStore(options.store, windows, clock.now()).catch((err: unknown) => void onError?.(err));
      if (seeded !== undefined && seeded.minutes > 0) options.onSeeded?.(seeded);
      if (!wanted) return;
      detachDetector ??= detector.attach(options.router.events);
      try {
        await detector.start();
      } catch (err) {
        // Without the open incidents the detector would open duplicates: try again shortly instead.
        onError?.(err);
        cancelRetry = clock.setTimer(retryLeadMs, () => void transition());
        return;
      }
      leading = true;
      // A stepDown() asked for meanwhile is queued behind this transition and undoes it.
      if (wanted) probes?.start();
    }).catch((err: unknown) => void onError?.(err)); // a failed transition must not stall the ones after it
    return transitions;
  };
  const watch = (): void => {
    detachWindows ??= windows.attach(options.router.events);
  };
  return {
    windows,
    detector,
    calendar,
    probes,
    watch,
    lead() {
      watch();
      wanted = true;
      return transition();
    },
    stepDown() {
      wanted = false;
      return transition();
    },
    async start() {
      watch();
      wanted = true;
      await transition();
    },
    async stop() {
      wanted = false;
      cancelRetry();
      await transition();
      detachWindows?.();
      detachWindows = undefined;
    },
  };
}
