/**
 * Turns the router's events into per-minute rollups without ever touching the store on the request path:
 * each `attempt` is folded into its deployment's row and each `request` into its route's row, in memory;
 * a timer writes the rows (and a bounded set of failed-attempt samples, as incident evidence) in one
 * batch every few seconds. A failed write keeps its rows for the next flush; if the store stays down the
 * oldest minutes are dropped, and counted, so memory stays bounded. Nothing here throws into the router.
 */
import { costOf, redactMessage, type RecordedAttempt, type RecordedRequest, type RecordedUsage, type RecorderEventSource, type RecorderPrice } from './recorded-events.js';
import { guarded } from '../core/guarded.js';
import { PROBE_ID_PREFIX } from '../core/request-id.js';
import { realIntervalTimer, type IntervalTimer } from './interval-timer.js';
import { addRollup, bucketIndex, emptyRollup, floorMinute, rollupKey } from './rollup-math.js';
import type { AttemptSample, RollupRow, RollupScope, RollupSource, Store } from './store.js';

export interface RollupRecorderOptions {
  store: Pick<Store, 'addRollups' | 'addSamples'>;
  /** The deployment's price, or undefined when it has none (its cost counts as 0). */
  priceOf: (deploymentId: string) => RecorderPrice | undefined;
  flushIntervalMs?: number;
  maxPendingMinutes?: number;
  maxSamplesPerDeploymentMinute?: number;
  maxSampleMessageChars?: number;
  timer?: IntervalTimer;
  /** A failed flush or a listener bug; the recorder carries on either way. */
  onError?: (error: unknown) => void;
}

export const RECORDER_DEFAULTS = {
  // Short enough that the status page and burn-rate alerts lag by seconds; long enough that a busy
  // gateway writes one small transaction per interval rather than one per request.
  flushIntervalMs: 5_000, // 5 s
  // An hour of rows held while the store is down: outlives a restart of PostgreSQL or a full disk being
  // cleared, at a few kilobytes per deployment-minute.
  maxPendingMinutes: 60,
  // Enough examples to show what a failure looked like, without a storm writing every failed attempt.
  maxSamplesPerDeploymentMinute: 20,
  // Upstream error bodies can be long; evidence needs the gist.
  maxSampleMessageChars: 500,
} as const;

export interface RecorderStats {
  pendingRows: number;
  pendingSamples: number;
  /** Minutes (and their rows and samples) dropped because the store stayed down too long. */
  droppedMinutes: number;
  droppedRows: number;
  droppedSamples: number;
  failedFlushes: number;
}

interface MinuteBucket {
  rows: Map<string, RollupRow>;
  samples: AttemptSample[];
}

const MINUTE_MS = 60_000;

export class RollupRecorder {
  private pending = new Map<number, MinuteBucket>();
  /**
   * Per scope, the row each id's last event went to: most events go to the same row (same minute and
   * source, the row's own), found without building its key (a string concatenated per event) and two map
   * lookups. Forgotten whenever a pending bucket leaves or is replaced (a flush, a requeue, a trim), so a
   * remembered row is always one still pending.
   */
  private readonly lastRows: Record<RollupScope, Map<string, RollupRow>> = { deployment: new Map(), route: new Map() };
  /** Samples taken per minute and deployment: outlives flushes, so the bound is per minute, not per batch. */
  private sampleCounts = new Map<number, Map<string, number>>();
  private flushing: Promise<void> | undefined;
  private readonly detachers = new Set<() => void>();
  private readonly stopTimer: () => void;
  private closed = false;
  private readonly counters = { droppedMinutes: 0, droppedRows: 0, droppedSamples: 0, failedFlushes: 0 };
  private readonly limits: Required<Pick<RollupRecorderOptions, 'maxPendingMinutes' | 'maxSamplesPerDeploymentMinute' | 'maxSampleMessageChars'>>;

  constructor(private readonly options: RollupRecorderOptions) {
    this.limits = {
      maxPendingMinutes: options.maxPendingMinutes ?? RECORDER_DEFAULTS.maxPendingMinutes,
      maxSamplesPerDeploymentMinute: options.maxSamplesPerDeploymentMinute ?? RECORDER_DEFAULTS.maxSamplesPerDeploymentMinute,
      maxSampleMessageChars: options.maxSampleMessageChars ?? RECORDER_DEFAULTS.maxSampleMessageChars,
    };
    const timer = options.timer ?? realIntervalTimer;
    this.stopTimer = timer(options.flushIntervalMs ?? RECORDER_DEFAULTS.flushIntervalMs, () => void this.flush());
  }

  /** Subscribes to a router's events; returns the function that unsubscribes. */
  attach(events: RecorderEventSource): () => void {
    const report = (error: unknown): void => this.report(error);
    const offAttempt = events.on('attempt', guarded((event: RecordedAttempt) => this.recordAttempt(event), report));
    const offRequest = events.on('request', guarded((event: RecordedRequest) => this.recordRequest(event), report));
    const detach = (): void => {
      offAttempt();
      offRequest();
      this.detachers.delete(detach);
    };
    this.detachers.add(detach);
    return detach;
  }

  recordAttempt(a: RecordedAttempt): void {
    if (this.closed) return;
    const at = a.startedAtMs + a.latencyMs;
    const row = this.row(floorMinute(at), 'deployment', a.deployment, a.source ?? sourceOf(a.requestId));
    // Tokens a cancelled attempt used are still paid for; its outcome and timing say nothing of the provider.
    addUsage(row, a.usage, costOf(a.usage, this.options.priceOf(a.deployment)));
    if (a.cancelled === true) return;
    count(row, a.outcome, a.latencyMs, a.ttftMs);
    if (a.outcome !== 'ok') this.sample(a, at);
  }

  recordRequest(r: RecordedRequest): void {
    if (this.closed) return;
    const row = this.row(floorMinute(r.startedAtMs + r.latencyMs), 'route', r.route, r.source ?? sourceOf(r.requestId));
    const outcome = r.degraded === undefined ? r.outcome : 'degraded';
    // What the client waited for its first byte: the answering attempt's TTFT, from the request's start.
    const attempts = r.attempts ?? [];
    let answer: RecordedAttempt | undefined;
    for (const a of attempts) {
      if (answer === undefined && a.outcome === 'ok' && a.cancelled !== true && a.deployment === r.deployment) answer = a;
      addUsage(row, a.usage, costOf(a.usage, this.options.priceOf(a.deployment)));
    }
    const ttftMs = answer?.ttftMs === undefined ? undefined : answer.startedAtMs - r.startedAtMs + answer.ttftMs;
    count(row, outcome, r.latencyMs, ttftMs);
  }

  /** Writes everything pending in one batch; concurrent calls share the flush in progress. Never rejects. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and the subscriptions, then writes what is left. Does not close the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    for (const detach of [...this.detachers]) detach();
    await this.flushing;
    await this.flush();
  }

  stats(): RecorderStats {
    let pendingRows = 0;
    let pendingSamples = 0;
    for (const bucket of this.pending.values()) {
      pendingRows += bucket.rows.size;
      pendingSamples += bucket.samples.length;
    }
    return { pendingRows, pendingSamples, ...this.counters };
  }

  private async flushOnce(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.forgetLastRows();
    this.forgetOldSampleCounts();
    const rows = [...batch.values()].flatMap((b) => [...b.rows.values()]);
    const samples = [...batch.values()].flatMap((b) => b.samples);
    try {
      if (rows.length > 0) await this.options.store.addRollups(rows);
    } catch (error) {
      this.counters.failedFlushes++;
      this.requeue(batch, true);
      this.report(error);
      return;
    }
    try {
      if (samples.length > 0) await this.options.store.addSamples(samples);
    } catch (error) {
      // The rollups are in: requeueing them would count them twice.
      this.counters.failedFlushes++;
      this.requeue(batch, false);
      this.report(error);
    }
  }

  /** Puts a failed batch back in front of what arrived meanwhile, then trims to the memory bound. */
  private requeue(batch: Map<number, MinuteBucket>, withRows: boolean): void {
    // A requeued row takes the place of the one made since the flush began: no event may go to that one now.
    this.forgetLastRows();
    for (const [minute, old] of batch) {
      const bucket = this.bucket(minute);
      if (withRows) {
        for (const [key, row] of old.rows) {
          const newer = bucket.rows.get(key);
          bucket.rows.set(key, newer === undefined ? row : addRollup(row, newer));
        }
      }
      bucket.samples.unshift(...old.samples);
    }
    this.trim();
  }

  private row(minute: number, scope: RollupScope, id: string, source: RollupSource): RollupRow {
    const lastRows = this.lastRows[scope];
    const last = lastRows.get(id);
    if (last !== undefined && last.minute === minute && last.source === source) return last;
    const bucket = this.bucket(minute);
    const key = rollupKey({ scope, id, source });
    let row = bucket.rows.get(key);
    if (row === undefined) {
      row = emptyRollup(minute, scope, id, source);
      bucket.rows.set(key, row);
    }
    lastRows.set(id, row);
    return row;
  }

  private forgetLastRows(): void {
    this.lastRows.deployment.clear();
    this.lastRows.route.clear();
  }

  private bucket(minute: number): MinuteBucket {
    let bucket = this.pending.get(minute);
    if (bucket === undefined) {
      bucket = { rows: new Map(), samples: [] };
      this.pending.set(minute, bucket);
      // The new minute is kept even when late: the caller is about to write into it.
      this.trim(minute);
    }
    return bucket;
  }

  /** Drops the oldest minutes beyond the bound (the newest ones matter most to health and alerts). */
  private trim(keep?: number): void {
    while (this.pending.size > this.limits.maxPendingMinutes) {
      const oldest = Math.min(...[...this.pending.keys()].filter((m) => m !== keep));
      const dropped = this.pending.get(oldest)!;
      this.pending.delete(oldest);
      this.forgetLastRows();
      this.counters.droppedMinutes++;
      this.counters.droppedRows += dropped.rows.size;
      this.counters.droppedSamples += dropped.samples.length;
    }
  }

  private sample(a: RecordedAttempt, at: number): void {
    const minute = floorMinute(at);
    let counts = this.sampleCounts.get(minute);
    if (counts === undefined) {
      counts = new Map();
      this.sampleCounts.set(minute, counts);
    }
    const taken = counts.get(a.deployment) ?? 0;
    if (taken >= this.limits.maxSamplesPerDeploymentMinute) return;
    counts.set(a.deployment, taken + 1);
    const sample: AttemptSample = { at, deployment: a.deployment, route: a.route, outcome: a.outcome, latencyMs: a.latencyMs, requestId: a.requestId };
    if (a.status !== undefined) sample.status = a.status;
    if (a.message !== undefined) sample.message = redactMessage(a.message, this.limits.maxSampleMessageChars);
    this.bucket(minute).samples.push(sample);
  }

  /** Sample counts matter only while events for that minute can still arrive (attempts last minutes at most). */
  private forgetOldSampleCounts(): void {
    const newest = Math.max(...this.sampleCounts.keys());
    for (const minute of this.sampleCounts.keys()) {
      if (minute < newest - 10 * MINUTE_MS) this.sampleCounts.delete(minute);
    }
  }

  /** Even a throwing error handler must not reach the router or reject a flush. */
  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // Nothing left to tell.
    }
  }
}

function count(row: RollupRow, outcome: string, latencyMs: number, ttftMs: number | undefined): void {
  row.outcomes[outcome] = (row.outcomes[outcome] ?? 0) + 1;
  increment(row.latencyHistogram, bucketIndex(latencyMs));
  if (ttftMs !== undefined) increment(row.ttftHistogram, bucketIndex(ttftMs));
  row.latencySumMs += latencyMs;
}

function increment(histogram: number[], index: number): void {
  histogram[index] = (histogram[index] ?? 0) + 1;
}

function addUsage(row: RollupRow, usage: RecordedUsage | undefined, cost: number): void {
  if (usage === undefined) return;
  row.inputTokens += usage.inputTokens;
  row.outputTokens += usage.outputTokens;
  row.cost += cost;
}

/** Probes are known by their request id alone (see health/probe-id.ts): stored apart from clients' traffic. */
function sourceOf(requestId: string): RollupSource {
  return requestId.startsWith(PROBE_ID_PREFIX) ? 'probe' : 'client';
}
