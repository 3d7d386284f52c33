/**
 * The drill's load: open-loop arrivals (a seeded Poisson schedule fixed in advance, independent of how
 * fast answers come back, as real users arrive) through Keel in the OpenAI and Anthropic formats, a mix
 * of streamed and non-streamed requests, plus a trickle of direct probes that call the primary without
 * Keel: what clients would have seen had they called it directly. A cap on requests in flight keeps a
 * hanging provider from growing memory without bound; an arrival over the cap is counted as not sent.
 * Bounded in count (the schedule) and in time (the duration, then each request's hard timeout).
 */
import type { Dispatcher } from 'undici';
import type { ClientFormat } from './answer-reader.js';
import { sendClientRequest, type ClientObservation } from './client-request.js';
import type { ScenarioLoad } from './scenario-schema.js';

export interface LoadRecord {
  id: string;
  /** Wall-clock ms since the drill started, when the request was sent. */
  offsetMs: number;
  format: ClientFormat;
  stream: boolean;
  /** Set once the request has ended. */
  observation?: ClientObservation;
}

export interface LoadCounters {
  sent: number;
  succeeded: number;
  failed: number;
  lost: number;
  notSent: number;
  inFlight: number;
}

export interface DirectProbe {
  origin: string;
  format: ClientFormat;
  model: string;
  ratePerS: number;
}

export interface LoadOptions {
  keelOrigin: string;
  route: string;
  load: ScenarioLoad;
  seed: number;
  /** Wall-clock ms of arrivals. */
  durationMs: number;
  dispatcher: Dispatcher;
  probe?: DirectProbe;
}

/** mulberry32: a tiny seeded PRNG, so the same scenario sends the same mix of requests every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Probes are few; this only stops a hanging primary from accumulating them.
const MAX_PROBES_IN_FLIGHT = 200;
// The scheduler wakes at least this often, so arrivals are sent within a few ms of their time.
const TICK_MS = 10;

export class LoadGenerator {
  readonly records: LoadRecord[] = [];
  readonly probes: LoadRecord[] = [];
  /** Wall-clock offsets of arrivals dropped by the in-flight cap. */
  readonly notSent: number[] = [];
  readonly counters: LoadCounters = { sent: 0, succeeded: 0, failed: 0, lost: 0, notSent: 0, inFlight: 0 };
  private probesInFlight = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: LoadOptions) {}

  /** Sends the whole schedule from `startMs` (performance.now() time base), then waits for every answer. */
  async run(startMs: number, signal: AbortSignal): Promise<void> {
    const { load, durationMs, seed, probe } = this.options;
    const random = seededRandom(seed);
    const arrivals = poissonSchedule(load.rate_per_s, durationMs, random);
    const probeTimes = probe === undefined || probe.ratePerS <= 0 ? [] : evenSchedule(probe.ratePerS, durationMs);
    const openaiShare = load.clients.openai / (load.clients.openai + load.clients.anthropic);
    let a = 0;
    let p = 0;
    while ((a < arrivals.length || p < probeTimes.length) && !signal.aborted) {
      const nowOffset = performance.now() - startMs;
      for (; a < arrivals.length && arrivals[a]! <= nowOffset; a++) {
        const prompt = load.prompts[Math.floor(random() * load.prompts.length)]!;
        this.arrive(a, nowOffset, random() < openaiShare ? 'openai' : 'anthropic', random() < load.stream_share, random() < load.unique_prompt_share ? `${prompt} (question ${a})` : prompt);
      }
      for (; p < probeTimes.length && probeTimes[p]! <= nowOffset; p++) this.sendProbe(p, nowOffset, random() < load.stream_share);
      const next = Math.min(arrivals[a] ?? Infinity, probeTimes[p] ?? Infinity);
      if (next === Infinity) break;
      await sleep(Math.max(1, Math.min(TICK_MS, next - (performance.now() - startMs))));
    }
    await Promise.allSettled([...this.pending]);
  }

  private arrive(index: number, offsetMs: number, format: ClientFormat, stream: boolean, prompt: string): void {
    const { load, keelOrigin, route, dispatcher } = this.options;
    if (this.counters.inFlight >= load.max_in_flight) {
      this.counters.notSent += 1;
      this.notSent.push(offsetMs);
      return;
    }
    const record: LoadRecord = { id: `drill-${String(index).padStart(7, '0')}`, offsetMs, format, stream };
    this.records.push(record);
    this.counters.sent += 1;
    this.counters.inFlight += 1;
    this.track(
      sendClientRequest({ origin: keelOrigin, format, model: route, prompt, maxTokens: load.max_tokens, stream, requestId: record.id, timeoutMs: load.client_timeout_ms, dispatcher }).then((observation) => {
        record.observation = observation;
        this.counters.inFlight -= 1;
        if (observation.verdict.kind === 'ok') this.counters.succeeded += 1;
        else if (observation.verdict.kind === 'error') this.counters.failed += 1;
        else this.counters.lost += 1;
      }),
    );
  }

  private sendProbe(index: number, offsetMs: number, stream: boolean): void {
    const probe = this.options.probe!;
    if (this.probesInFlight >= MAX_PROBES_IN_FLIGHT) return;
    const { load, dispatcher } = this.options;
    // Streams are judged in the OpenAI and Anthropic formats only; a Gemini primary is probed unstreamed.
    const record: LoadRecord = { id: `probe-${String(index).padStart(6, '0')}`, offsetMs, format: probe.format, stream: stream && probe.format !== 'gemini' };
    this.probes.push(record);
    this.probesInFlight += 1;
    this.track(
      sendClientRequest({ origin: probe.origin, format: probe.format, model: probe.model, prompt: load.prompts[0]!, maxTokens: load.max_tokens, stream: record.stream, requestId: record.id, timeoutMs: load.direct_probe_timeout_ms, dispatcher }).then((observation) => {
        record.observation = observation;
        this.probesInFlight -= 1;
      }),
    );
  }

  private track(promise: Promise<void>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }
}

/** Arrival offsets (ms) of a Poisson process at `ratePerS` over `durationMs`. */
export function poissonSchedule(ratePerS: number, durationMs: number, random: () => number): number[] {
  const out: number[] = [];
  const limit = Math.ceil(ratePerS * (durationMs / 1000) * 2) + 100; // a hard bound on the loop
  let t = 0;
  for (let i = 0; i < limit; i++) {
    t += (-Math.log(1 - random()) / ratePerS) * 1000;
    if (t >= durationMs) break;
    out.push(t);
  }
  return out;
}

function evenSchedule(ratePerS: number, durationMs: number): number[] {
  const stepMs = 1000 / ratePerS;
  return Array.from({ length: Math.floor(durationMs / stepMs) }, (_, i) => (i + 0.5) * stepMs);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
