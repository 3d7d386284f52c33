/**
 * Runs one drill: a connection gate per deployment, a Keel started in-process from the scenario's config
 * (with its embedded simulator behind the gates), the load generator and the timeline played together,
 * then a bounded drain. Returns everything observed — by the clients, by Keel's router events and by
 * the simulator — for `drill-report.ts` to turn into figures. Everything listens on 127.0.0.1.
 */
import { Agent } from 'undici';
import type { ProviderName } from '../config/schema.js';
import { startKeel } from '../server/start-keel.js';
import type { SimStats } from '../simulator/index.js';
import type { ClientFormat } from './answer-reader.js';
import { ConnectionGate } from './connection-gate.js';
import { KeelObserver } from './keel-observer.js';
import { LoadGenerator, type LoadCounters, type LoadRecord } from './load-generator.js';
import type { LoadedScenario } from './load-scenario.js';
import { phaseAt, phaseWindows, playTimeline, type AppliedAction, type PhaseWindow } from './timeline.js';
import { playVendorUpdates, vendorSchedule, vendorSourcesConfig, type ScheduledUpdate } from './vendor-voice.js';
import type { Incident, VendorIncident } from '../store/index.js';

export interface DrillOptions {
  /** Overrides the scenario's `time_scale`. */
  timeScale?: number;
  /** Overrides the scenario's `load.rate_per_s`. */
  ratePerS?: number;
  /** Called about four times a second while the drill runs. */
  onProgress?: (progress: DrillProgress) => void;
  onPhase?: (phase: PhaseWindow) => void;
  signal?: AbortSignal;
}

export interface DrillProgress {
  elapsedMs: number;
  totalMs: number;
  phase: string;
  counters: LoadCounters;
}

export interface DrillRun {
  loaded: LoadedScenario;
  timeScale: number;
  ratePerS: number;
  phases: PhaseWindow[];
  /** Epoch ms at the drill's wall-clock offset 0 (router events carry epoch times). */
  startEpochMs: number;
  startedAt: string;
  /** Wall-clock ms of the timeline (the scenario duration divided by the scale). */
  wallDurationMs: number;
  /** Wall-clock ms of the whole run, start-up and drain included. */
  elapsedMs: number;
  records: LoadRecord[];
  probes: LoadRecord[];
  notSent: number[];
  applied: AppliedAction[];
  observer: KeelObserver;
  simulator: SimStats;
  /** The simulated vendor page's updates and what Keel stored (incidents, vendor incidents), when the scenario has one. */
  vendor?: { posted: ScheduledUpdate[]; incidents: Incident[]; vendorIncidents: VendorIncident[] };
  /** Deployment id → the client format of its provider (for direct probes), its upstream model and region. */
  deployments: Map<string, { provider: ProviderName; model: string; region?: string | undefined }>;
}

/** Where each wire format lives under an endpoint's root URL (as Keel resolves simulated deployments). */
const ROOT_PREFIX: Record<ProviderName, string> = { openai: '/v1', 'openai-compatible': '/v1', anthropic: '', gemini: '', bedrock: '', vertex: '', 'azure-openai': '' };

// Keel's answers finish a moment after the client reads the last byte; give its events time to land.
const EVENT_SETTLE_MS = 300;

export function clientFormatOf(provider: ProviderName): ClientFormat {
  return provider === 'anthropic' ? 'anthropic' : provider === 'gemini' ? 'gemini' : 'openai';
}

export async function runDrill(loaded: LoadedScenario, options: DrillOptions = {}): Promise<DrillRun> {
  const { scenario, keel: config } = loaded;
  const timeScale = options.timeScale ?? scenario.time_scale;
  const ratePerS = options.ratePerS ?? scenario.load.rate_per_s;
  const phases = phaseWindows(scenario, timeScale);
  const wallDurationMs = scenario.duration / timeScale;
  const runStarted = performance.now();

  const gates = new Map<string, ConnectionGate>();
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  let keel: Awaited<ReturnType<typeof startKeel>> | undefined;
  const vendor = scenario.vendor_status;
  let vendorGate: ConnectionGate | undefined;
  let run: DrillRun;
  try {
    for (const d of config.deployments) gates.set(d.id, await ConnectionGate.open());
    // The simulated vendor page is served by the simulator, reached (like each deployment) through a gate
    // whose address is known before Keel starts and reads it.
    if (vendor !== undefined) vendorGate = await ConnectionGate.open();
    // Each deployment reaches the embedded simulator through its own gate. Still `simulated`, so cloud
    // deployments sign and authorise with the simulator's credentials, sent through the gate.
    const deployments = (loaded.keelConfig['deployments'] as Record<string, unknown>[]).map((d, i) => {
      const parsed = config.deployments[i]!;
      return { ...d, simulated: true, base_url: gates.get(parsed.id)!.url + ROOT_PREFIX[parsed.provider] };
    });
    const statusSources = vendor === undefined ? {} : { status_sources: vendorSourcesConfig(vendor, vendorGate!.url, loaded.primary) };
    keel = await startKeel({ config: { ...loaded.keelConfig, deployments, ...statusSources }, port: 0, host: '127.0.0.1', env: {} });
    const simulator = keel.simulator!;
    for (const gate of gates.values()) gate.setTarget(simulator.port);
    vendorGate?.setTarget(simulator.port);
    if (vendor !== undefined) simulator.vendorStatus.configure({ name: vendor.name, components: [vendor.component] });
    const observer = new KeelObserver(keel.gateway.router);

    const primary = config.deployments.find((d) => d.id === loaded.primary)!;
    const probeRate = scenario.load.direct_probe_rate_per_s;
    const load = new LoadGenerator({
      keelOrigin: keel.url,
      route: loaded.route,
      load: { ...scenario.load, rate_per_s: ratePerS },
      seed: scenario.seed,
      durationMs: wallDurationMs,
      dispatcher,
      ...(probeRate > 0 ? { probe: { origin: gates.get(primary.id)!.url, format: clientFormatOf(primary.provider), model: primary.model, ratePerS: probeRate } } : {}),
    });

    const signal = options.signal ?? new AbortController().signal;
    const startedAt = new Date().toISOString();
    const startEpochMs = Date.now();
    const start = performance.now();
    const ticker = setInterval(() => {
      const elapsedMs = performance.now() - start;
      options.onProgress?.({ elapsedMs, totalMs: wallDurationMs, phase: phaseAt(phases, elapsedMs).name, counters: load.counters });
    }, 250);
    let applied: AppliedAction[];
    let posted: ScheduledUpdate[];
    try {
      [applied, , posted] = await Promise.all([
        playTimeline(scenario, phases, { simulator, gates }, start, signal, options.onPhase),
        load.run(start, signal),
        playVendorUpdates(vendorSchedule(scenario, phases, timeScale), simulator.vendorStatus, start, signal),
      ]);
    } finally {
      clearInterval(ticker);
    }
    options.onProgress?.({ elapsedMs: performance.now() - start, totalMs: wallDurationMs, phase: phases.at(-1)!.name, counters: load.counters });
    await new Promise((resolve) => setTimeout(resolve, EVENT_SETTLE_MS));
    observer.stop();
    // One last read of the vendor's page, so the report holds its final word; then what Keel stored.
    let vendorRecord: DrillRun['vendor'];
    if (vendor !== undefined) {
      await keel.services.vendorStatus?.pollAll();
      const [incidents, vendorIncidents] = await Promise.all([keel.store.listIncidents({ from: startEpochMs, limit: 100 }), keel.store.listVendorIncidents({ from: startEpochMs })]);
      vendorRecord = { posted, incidents, vendorIncidents };
    }
    run = {
      loaded,
      timeScale,
      ratePerS,
      phases,
      startEpochMs,
      startedAt,
      wallDurationMs,
      elapsedMs: 0,
      records: load.records,
      probes: load.probes,
      notSent: load.notSent,
      applied,
      observer,
      simulator: simulator.stats(),
      ...(vendorRecord === undefined ? {} : { vendor: vendorRecord }),
      deployments: new Map(config.deployments.map((d) => [d.id, { provider: d.provider, model: d.model, region: d.region }])),
    };
  } finally {
    // Mend everything first so nothing Keel still holds waits on a fault while it drains.
    keel?.simulator?.clearFaults();
    for (const gate of gates.values()) {
      gate.setLatency(0);
      await gate.resumeListening().catch(() => undefined);
    }
    await keel?.stop();
    for (const gate of gates.values()) await gate.close();
    await vendorGate?.close();
    await dispatcher.close();
  }
  run.elapsedMs = performance.now() - runStarted;
  return run;
}
