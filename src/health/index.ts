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

export { HEALTH_DEFAULTS, DETECTOR_DEFAULTS, PROBE_DEFAULTS } from './health-defaults.js';
export { HealthWindows, type DeploymentHealth, type GroupHealth, type HealthAttempt, type HealthEventSource, type HealthRequest, type HealthSnapshot, type RouteHealth } from './health-windows.js';
export { judgeStatus, worstStatus, STATUS_SEVERITY, type BreakerView, type HealthThresholds, type Judgement, type WindowStats } from './judge-status.js';
export { IncidentDetector, type DetectorSettings, type IncidentDetectorEvents, type IncidentDetectorOptions, type IncidentEvent } from './incident-detector.js';
export { CAUSE_TEXT, dominantCause, type CauseCategory, type Evidence } from './incident-evidence.js';
export { MaintenanceCalendar, componentOfDeployment, componentOfProvider, componentOfRoute, KEEL_COMPONENT } from './maintenance-calendar.js';
export { ProbeScheduler, type ProbeResult, type ProbeRouter, type ProbeSettings, type ProbedDeployment } from './probes.js';
export { isProbeRequestId, newProbeRequestId, PROBE_REQUEST_ID_PREFIX } from './probe-id.js';
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
  store: Pick<Store, 'saveIncident' | 'getIncident' | 'listIncidents' | 'saveMaintenance' | 'listMaintenance'>;
  clock?: Clock;
  health?: Partial<HealthThresholds>;
  detector?: Partial<DetectorSettings>;
  /** Probes run only with `enabled: true`. */
  probes?: Partial<ProbeSettings>;
  onProbe?: (result: ProbeResult) => void;
  /** Store failures and listener bugs: log them; nothing here throws into the router. */
  onError?: (error: unknown) => void;
}

export interface HealthMonitor {
  windows: HealthWindows;
  detector: IncidentDetector;
  calendar: MaintenanceCalendar;
  /** Undefined unless probes are enabled. */
  probes: ProbeScheduler | undefined;
  /** Loads open incidents and maintenance, starts evaluating (and probing). */
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
  const detachers: (() => void)[] = [];
  return {
    windows,
    detector,
    calendar,
    probes,
    async start() {
      detachers.push(windows.attach(options.router.events), detector.attach(options.router.events));
      await detector.start();
      probes?.start();
    },
    async stop() {
      for (const detach of detachers.splice(0)) detach();
      probes?.stop();
      await detector.stop();
    },
  };
}
