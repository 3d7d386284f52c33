/**
 * Recovery in seconds. While a deployment's breaker is open, the breaker alone would wait out its open
 * period (30 s, doubling to 5 min) before letting a client's request find out whether the provider is
 * back, so after a long outage traffic would stay on the fallbacks for minutes. Instead, a tiny probe
 * (the smallest request a deployment accepts) goes to it every couple of seconds, jittered; the first one
 * answered closes the breaker. Probes are counted per deployment per UTC day and stop at a cap, after
 * which the breaker's own half-open calls remain. With several replicas, only the one holding the leader
 * lease probes (`setActive`); the others follow its breaker closings through the shared state.
 */
import type { Clock } from '../core/clock.js';
import type { BreakerRegistry, CircuitStateChangeEvent } from '../resilience/index.js';

export interface RecoveryProbeSettings {
  enabled: boolean;
  intervalMs: number;
  jitterRatio: number;
  slowIntervalMs: number;
  slowAfterMs: number;
  maxPerDay: number;
  timeoutMs: number;
}

export interface RecoveryProberOptions {
  settings: RecoveryProbeSettings;
  clock: Clock;
  random: () => number;
  breakers: () => BreakerRegistry;
  /** Sends one probe; resolves true when the deployment answered (the breaker is then closed by it). */
  probe(deploymentId: string, signal: AbortSignal): Promise<boolean>;
  /** Deployments that exist now (a reload may remove one while its breaker is open). */
  knows(deploymentId: string): boolean;
}

const DAY_MS = 86_400_000;

export class RecoveryProber {
  private readonly loops = new Map<string, AbortController>();
  private readonly sentToday = new Map<string, { day: number; count: number }>();
  private active = true;
  private stopped = false;

  constructor(private readonly options: RecoveryProberOptions) {}

  get settings(): RecoveryProbeSettings {
    return this.options.settings;
  }

  /** Starts probing a deployment whose breaker just opened (the router forwards breaker events here). */
  onBreaker(event: CircuitStateChangeEvent): void {
    if (event.to === 'open' && this.options.settings.enabled) this.watch(event.deploymentId, event.atMs);
  }

  /** Only the replica holding the lease probes; a replica that gains it takes over open breakers. */
  setActive(active: boolean): void {
    this.active = active;
    if (!active) for (const id of [...this.loops.keys()]) this.unwatch(id);
    else for (const [id, snapshot] of Object.entries(this.options.breakers().toJSON())) if (snapshot.state.state === 'open' || snapshot.state.state === 'half_open') this.watch(id, this.options.clock.now());
  }

  /** Probes sent to a deployment today (UTC). */
  probesToday(deploymentId: string): number {
    const entry = this.sentToday.get(deploymentId);
    return entry !== undefined && entry.day === Math.floor(this.options.clock.now() / DAY_MS) ? entry.count : 0;
  }

  watching(): string[] {
    return [...this.loops.keys()];
  }

  stop(): void {
    this.stopped = true;
    this.forget();
  }

  /** Ends every probing loop (the breakers they watched were replaced); breakers opening later start new ones. */
  forget(): void {
    for (const id of [...this.loops.keys()]) this.unwatch(id);
  }

  private watch(deploymentId: string, openedAtMs: number): void {
    if (!this.active || this.stopped || this.loops.has(deploymentId)) return;
    const controller = new AbortController();
    this.loops.set(deploymentId, controller);
    void this.loop(deploymentId, openedAtMs, controller.signal).finally(() => {
      if (this.loops.get(deploymentId) === controller) this.loops.delete(deploymentId);
    });
  }

  private unwatch(deploymentId: string): void {
    this.loops.get(deploymentId)?.abort();
    this.loops.delete(deploymentId);
  }

  private async loop(deploymentId: string, openedAtMs: number, signal: AbortSignal): Promise<void> {
    const { clock, settings } = this.options;
    while (!signal.aborted) {
      const slow = clock.now() - openedAtMs >= settings.slowAfterMs;
      try {
        await clock.sleep(this.jittered(slow ? settings.slowIntervalMs : settings.intervalMs), signal);
      } catch {
        return;
      }
      if (!this.stillOpen(deploymentId) || !this.options.knows(deploymentId)) return;
      if (this.probesToday(deploymentId) >= settings.maxPerDay) return;
      this.count(deploymentId);
      const answered = await this.options.probe(deploymentId, signal).catch(() => false);
      if (answered) return;
    }
  }

  private stillOpen(deploymentId: string): boolean {
    const state = this.options.breakers().get(deploymentId).state.state;
    return state === 'open' || state === 'half_open';
  }

  private jittered(ms: number): number {
    const ratio = this.options.settings.jitterRatio;
    return Math.max(1, Math.round(ms * (1 + ratio * (2 * this.options.random() - 1))));
  }

  private count(deploymentId: string): void {
    const day = Math.floor(this.options.clock.now() / DAY_MS);
    const entry = this.sentToday.get(deploymentId);
    this.sentToday.set(deploymentId, { day, count: (entry?.day === day ? entry.count : 0) + 1 });
  }
}
