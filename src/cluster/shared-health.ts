/**
 * Health from the whole cluster: each replica batches the outcomes of its attempts (no request content:
 * deployment, outcome, timings) and publishes them once a second on a Redis channel; every other replica
 * feeds them into its own health windows. So the replica holding the leader lease judges incidents on all
 * the traffic, not a third of it, and any replica's status page shows the cluster's health. Publishing is
 * fire-and-forget off the request path; when Redis is down each replica judges on its own traffic.
 *
 * A replica that no other replica listens to (one Keel with Redis for its limits, or the first of a
 * cluster to start) neither queues nor publishes its outcomes: published, a busy replica's second of them
 * was about 400 KB of JSON made, sent and read back by its own subscriber, for nobody. It looks at the
 * channel's listeners once a second instead, so a replica that joins gets outcomes from the next second on.
 */
import { randomUUID } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import { z } from 'zod';
import { OUTCOMES } from '../core/outcome.js';
import { PROBE_ID_PREFIX } from '../core/request-id.js';
import type { HealthAttempt } from '../health/health-windows.js';
import { SHARED_REDIS_DEFAULTS, closeSharedRedis, openSharedRedis } from './redis-connection.js';

const PUBLISH_EVERY_MS = 1_000; // a second of lag is well inside the detector's sustain period
// A batch is published when it reaches this size, before its second is up; while Redis is down it is the
// bound on memory: when it is full the older half is dropped, and counted.
const MAX_BATCH = 5_000;
const DROP_WHEN_FULL = MAX_BATCH / 2;

const batchSchema = z.object({
  origin: z.string(),
  attempts: z.array(
    z.object({
      deployment: z.string(),
      outcome: z.enum(OUTCOMES),
      startedAtMs: z.number(),
      latencyMs: z.number(),
      ttftMs: z.number().optional(),
    }),
  ),
});

type SharedAttempt = z.infer<typeof batchSchema>['attempts'][number];

/**
 * A second's outcomes waiting to be published, kept as columns rather than an object per attempt: each
 * waits up to a second, long enough to outlive the young generation's collections, so objects would be
 * copied and then promoted by the garbage collector only to die in the old generation. Columns hold
 * strings that already exist (deployment ids, outcome names) and unboxed numbers; the objects are made
 * at publishing time, and die young.
 */
class PendingOutcomes {
  private deployments: string[] = [];
  private outcomes: SharedAttempt['outcome'][] = [];
  /** startedAtMs, latencyMs and ttftMs (NaN when none) of each outcome, in turn. */
  private times: number[] = [];

  get length(): number {
    return this.deployments.length;
  }

  push(deployment: string, outcome: SharedAttempt['outcome'], startedAtMs: number, latencyMs: number, ttftMs: number | undefined): void {
    this.deployments.push(deployment);
    this.outcomes.push(outcome);
    this.times.push(startedAtMs, latencyMs, ttftMs ?? Number.NaN);
  }

  /** Empties the columns; how many outcomes they held. */
  clear(): number {
    const count = this.deployments.length;
    this.deployments = [];
    this.outcomes = [];
    this.times = [];
    return count;
  }

  /** Drops the `count` oldest outcomes, in one move of each column. */
  dropOldest(count: number): void {
    this.deployments.splice(0, count);
    this.outcomes.splice(0, count);
    this.times.splice(0, 3 * count);
  }

  /** Every outcome as published, and empties the columns. */
  take(): SharedAttempt[] {
    const attempts = this.deployments.map((deployment, i): SharedAttempt => {
      const attempt: SharedAttempt = { deployment, outcome: this.outcomes[i]!, startedAtMs: this.times[3 * i]!, latencyMs: this.times[3 * i + 1]! };
      const ttftMs = this.times[3 * i + 2]!;
      if (!Number.isNaN(ttftMs)) attempt.ttftMs = ttftMs;
      return attempt;
    });
    this.clear();
    return attempts;
  }
}

export interface SharedHealthOptions {
  redis: string | RedisOptions;
  /** Where attempts from the other replicas go (the health windows). */
  record: (attempt: HealthAttempt) => void;
  /** Only deployments this replica serves are recorded. */
  deploymentIds: Iterable<string>;
  prefix?: string;
  onError?: (err: unknown) => void;
}

export interface AttemptSource {
  on(name: 'attempt', listener: (attempt: HealthAttempt) => void): () => void;
}

export class SharedHealth {
  readonly origin = randomUUID();
  /** `unheard`: outcomes let go because no other replica listened. */
  readonly stats = { published: 0, received: 0, dropped: 0, unheard: 0, failures: 0 };
  private readonly channel: string;
  /** How this replica's own batches begin (`JSON.stringify` keeps key order): they are skipped unparsed. */
  private readonly ownBatchStart: string;
  private readonly known: Set<string>;
  private readonly pending = new PendingOutcomes();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly timer: NodeJS.Timeout;
  /** Other replicas on the channel at the last look; unknown (so publish) until Redis first answers. */
  private peers: number | undefined;
  private subscribed = false;

  constructor(private readonly options: SharedHealthOptions) {
    this.channel = `${options.prefix ?? SHARED_REDIS_DEFAULTS.prefix}:health`;
    this.ownBatchStart = `{"origin":${JSON.stringify(this.origin)},`;
    this.known = new Set(options.deploymentIds);
    const onConnectionError = (): void => undefined;
    this.publisher = openSharedRedis(options.redis, { name: 'keel-health-pub', onConnectionError });
    this.subscriber = openSharedRedis(options.redis, { name: 'keel-health-sub', subscriber: true, onConnectionError });
    this.subscriber.on('message', (_channel: string, text: string) => this.receive(text));
    this.subscriber.subscribe(this.channel).then(
      () => (this.subscribed = true),
      (err: unknown) => this.fail(err),
    );
    this.timer = setInterval(() => this.flush(), PUBLISH_EVERY_MS);
    this.timer.unref();
  }

  attach(events: AttemptSource): () => void {
    return events.on('attempt', (a) => {
      if (a.cancelled === true || a.requestId.startsWith(PROBE_ID_PREFIX)) return;
      if (this.peers === 0) {
        this.stats.unheard += 1;
        return;
      }
      if (this.pending.length >= MAX_BATCH) {
        this.flush();
        if (this.pending.length >= MAX_BATCH) {
          // Redis is away: the older half goes at once. Dropping one per attempt moved every column on
          // each attempt, thousands of entries on the request path for as long as Redis stayed away.
          this.pending.dropOldest(DROP_WHEN_FULL);
          this.stats.dropped += DROP_WHEN_FULL;
        }
      }
      this.pending.push(a.deployment, a.outcome, a.startedAtMs, a.latencyMs, a.ttftMs);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.peers !== 0) this.flush(); // nobody to tell, and no need to look again
    await Promise.all([closeSharedRedis(this.publisher), closeSharedRedis(this.subscriber)]);
  }

  private flush(): void {
    if (this.publisher.status !== 'ready') return;
    if (this.peers === 0) {
      // What was queued before the last batch's reply showed nobody listening goes too.
      this.stats.unheard += this.pending.clear();
      this.publisher.pubsub('NUMSUB', this.channel).then(
        (reply) => this.sawListeners(Number((reply as unknown[])[1])),
        (err: unknown) => this.fail(err),
      );
      return;
    }
    if (this.pending.length === 0) return;
    const attempts = this.pending.take();
    this.publisher.publish(this.channel, JSON.stringify({ origin: this.origin, attempts })).then(
      (listeners) => {
        this.stats.published += attempts.length;
        this.sawListeners(listeners);
      },
      (err: unknown) => this.fail(err),
    );
  }

  /** `listeners` subscribers on the channel: this replica's own is among them while it is connected. */
  private sawListeners(listeners: number): void {
    const own = this.subscribed && this.subscriber.status === 'ready' ? 1 : 0;
    this.peers = Math.max(0, listeners - own);
  }

  private receive(text: string): void {
    if (text.startsWith(this.ownBatchStart)) return;
    let batch: z.infer<typeof batchSchema>;
    try {
      const parsed = batchSchema.safeParse(JSON.parse(text));
      if (!parsed.success) return;
      batch = parsed.data;
    } catch {
      return;
    }
    if (batch.origin === this.origin) return;
    for (const a of batch.attempts) {
      if (!this.known.has(a.deployment)) continue;
      this.stats.received += 1;
      this.options.record({ requestId: `peer_${batch.origin}`, ...a });
    }
  }

  private fail(err: unknown): void {
    this.stats.failures += 1;
    this.options.onError?.(err);
  }
}
