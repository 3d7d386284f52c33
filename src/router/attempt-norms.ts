/**
 * What is normal for each deployment, learned from its own successful attempts: the recent distribution
 * of time to response headers, time to first token and the longest silence inside a stream, kept apart
 * for streamed and JSON answers (a JSON answer's "first token" is the whole body). From it come the limits
 * of a new attempt: when it is *overdue* (hedge, and count it against the deployment now) and when it is
 * cut. Until a deployment has enough recent samples, the configured timeouts rule unchanged, so a new or
 * idle deployment is never judged on noise; a limit never exceeds what the config allows, so a model
 * whose normal first token takes 40 s is judged against its own norm, not against a fast model's.
 */
import type { Clock } from '../core/clock.js';
import { RESILIENCE_DEFAULTS } from '../resilience/index.js';

export type AnswerMode = 'stream' | 'json';
export type NormPhase = 'headers' | 'first_token' | 'gap';

/** The limits of one attempt; `*OverdueMs` undefined = no norm yet, never overdue. */
export interface AttemptLimits {
  headersOverdueMs: number | undefined;
  firstTokenOverdueMs: number | undefined;
  /** The attempt is cut (a timeout) when no first token came by then. */
  firstTokenLimitMs: number;
  /** The longest silence allowed between two stream events once the answer has started. */
  idleLimitMs: number;
}

export interface NormSettings {
  minSamples: number;
  maxSamples: number;
  sampleTtlMs: number;
  overdueFactor: number;
  overdueMinExcessMs: number;
  cutFactor: number;
  cutMinExcessMs: number;
  idleFactor: number;
  idleMinExcessMs: number;
}

/**
 * A ring of recent samples with their times. The p99 is recomputed (a sort of at most a few hundred
 * numbers) only every `RECOMPUTE_EVERY` new samples or when the oldest sample has gone stale: a norm moves
 * slowly, and every attempt asks for it.
 */
const RECOMPUTE_EVERY = 16;

class Samples {
  private readonly values: number[] = [];
  private readonly atMs: number[] = [];
  private next = 0;
  private cachedP99: number | undefined;
  private addedSinceCompute = Number.POSITIVE_INFINITY;

  constructor(private readonly capacity: number) {}

  add(value: number, atMs: number): void {
    if (this.values.length < this.capacity) {
      this.values.push(value);
      this.atMs.push(atMs);
    } else {
      this.values[this.next] = value;
      this.atMs[this.next] = atMs;
      this.next = (this.next + 1) % this.capacity;
    }
    this.addedSinceCompute += 1;
  }

  /** The 99th percentile of the samples newer than `sinceMs`, or undefined with fewer than `min` of them. */
  p99(sinceMs: number, min: number): number | undefined {
    // The ring's oldest sample sits where the next one will be written.
    const oldestAtMs = this.atMs[this.values.length < this.capacity ? 0 : this.next];
    const stale = oldestAtMs !== undefined && oldestAtMs < sinceMs;
    // A norm that just gained enough samples is computed at once, not 16 samples later.
    const justEnough = this.cachedP99 === undefined && this.values.length >= min;
    if (!stale && !justEnough && this.addedSinceCompute < RECOMPUTE_EVERY) return this.cachedP99;
    let n = this.values.length;
    if (stale) for (const atMs of this.atMs) if (atMs < sinceMs) n--;
    this.cachedP99 = n < min ? undefined : this.largest(n - Math.min(n - 1, Math.ceil(n * 0.99) - 1), stale ? sinceMs : Number.NEGATIVE_INFINITY);
    this.addedSinceCompute = stale ? Number.POSITIVE_INFINITY : 0;
    return this.cachedP99;
  }

  /**
   * The k-th largest sample newer than `sinceMs`. A p99 is one of the few largest (the 3rd of 200), so
   * one pass keeping the k largest beats a sort of all of them; a large k (a ring of thousands) sorts.
   */
  private largest(k: number, sinceMs: number): number {
    const { values, atMs } = this;
    if (k > 8) {
      // A typed copy sorts numerically without a comparator call per comparison.
      const fresh = Float64Array.from(values.filter((_, i) => atMs[i]! >= sinceMs)).sort();
      return fresh[fresh.length - k]!;
    }
    // `top` holds the k largest seen so far, largest first.
    const top = TOP.fill(Number.NEGATIVE_INFINITY, 0, k);
    for (let i = 0; i < values.length; i++) {
      const value = values[i]!;
      if (atMs[i]! < sinceMs || value <= top[k - 1]!) continue;
      let j = k - 1;
      for (; j > 0 && top[j - 1]! < value; j--) top[j] = top[j - 1]!;
      top[j] = value;
    }
    return top[k - 1]!;
  }
}

/** Scratch for `largest` (one computation at a time: it is synchronous). */
const TOP = new Float64Array(8);

const PHASES: readonly NormPhase[] = ['headers', 'first_token', 'gap'];

/** Where a mode and phase's samples sit in a deployment's slots. */
function slot(mode: AnswerMode, phase: NormPhase): number {
  return (mode === 'stream' ? 0 : 3) + PHASES.indexOf(phase);
}

export class AttemptNorms {
  /** Per deployment, a slot per mode and phase (no key strings built on the request path). */
  private readonly samples = new Map<string, (Samples | undefined)[]>();
  readonly settings: NormSettings;

  constructor(
    private readonly clock: Clock,
    settings: Partial<NormSettings> = {},
  ) {
    this.settings = { ...RESILIENCE_DEFAULTS.learnedTimeouts, ...settings };
  }

  record(deploymentId: string, mode: AnswerMode, phase: NormPhase, ms: number): void {
    let slots = this.samples.get(deploymentId);
    if (slots === undefined) this.samples.set(deploymentId, (slots = []));
    const at = slot(mode, phase);
    (slots[at] ??= new Samples(this.settings.maxSamples)).add(ms, this.clock.now());
  }

  /** The recent p99 of a phase, once there are enough fresh samples. */
  p99Ms(deploymentId: string, mode: AnswerMode, phase: NormPhase): number | undefined {
    const samples = this.samples.get(deploymentId)?.[slot(mode, phase)];
    return samples?.p99(this.clock.now() - this.settings.sampleTtlMs, this.settings.minSamples);
  }

  /**
   * The limits of a new attempt on this deployment. Overdue: `max(factor × p99, p99 + excess)`, so a fast
   * deployment is not called overdue over jitter and a slow one is given room in proportion. Cut: the same
   * shape, wider. Each is capped by the configured timeout.
   */
  limitsFor(deploymentId: string, mode: AnswerMode, configured: { ttftMs: number; idleMs: number }): AttemptLimits {
    const s = this.settings;
    const within = (p99: number | undefined, factor: number, excessMs: number, capMs: number): number | undefined =>
      p99 === undefined ? undefined : Math.min(capMs, Math.max(factor * p99, p99 + excessMs));
    const headers = this.p99Ms(deploymentId, mode, 'headers');
    const token = this.p99Ms(deploymentId, mode, 'first_token');
    const gap = mode === 'stream' ? this.p99Ms(deploymentId, mode, 'gap') : undefined;
    return {
      headersOverdueMs: within(headers, s.overdueFactor, s.overdueMinExcessMs, configured.ttftMs),
      firstTokenOverdueMs: within(token, s.overdueFactor, s.overdueMinExcessMs, configured.ttftMs),
      firstTokenLimitMs: within(token, s.cutFactor, s.cutMinExcessMs, configured.ttftMs) ?? configured.ttftMs,
      idleLimitMs: within(gap, s.idleFactor, s.idleMinExcessMs, configured.idleMs) ?? configured.idleMs,
    };
  }

  toJSON(): Record<string, number | undefined> {
    const out: Record<string, number | undefined> = {};
    for (const [id, slots] of this.samples) {
      for (const mode of ['stream', 'json'] as const) {
        for (const phase of PHASES) if (slots[slot(mode, phase)] !== undefined) out[`${id}/${mode}/${phase}`] = this.p99Ms(id, mode, phase);
      }
    }
    return out;
  }
}
