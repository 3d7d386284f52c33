/**
 * The router's contract with its callers: what a dispatch takes and returns, and the events it emits for
 * telemetry, health and incidents.
 */
import type { ProviderName } from '../config/schema.js';
import type { Deployment } from '../config/resolve-config.js';
import type { ChatRequest, WireFormat } from '../core/chat-request.js';
import type { Usage } from '../core/chat-response.js';
import type { Clock } from '../core/clock.js';
import type { ErrorCode } from '../core/errors.js';
import type { Outcome } from '../core/outcome.js';
import type { AttemptResult, StreamItem } from '../providers/index.js';
import type { Cancellation, CircuitStateChangeEvent, Priority } from '../resilience/index.js';
import type { AnswerCache } from './response-cache.js';

export interface DispatchInput {
  request: ChatRequest;
  clientFormat: WireFormat;
  /** The client's body as received, for pass-through to a same-format deployment. */
  rawBody?: Buffer;
  requestId: string;
  /** Aborts when the client goes away. */
  signal: Cancellation;
  /** A per-request deadline (from a header), bounded by the route's. */
  timeoutMs?: number;
  /** Who is shed last under overload; default interactive. */
  priority?: Priority;
  /** Whose request this is: cached answers are never shared across tenants. */
  tenant?: string;
  /**
   * False when the client surface cannot take over a passed-through stream mid-answer (its encoder cannot
   * know the provider's own item ids and numbering): a cut pass-through stream then ends with the
   * surface's error event instead of being continued. Default true.
   */
  passthroughResumable?: boolean;
  /** Told the request's record once it ends, after the `request` event (a virtual key's grant: what its request used). */
  settlement?: Settlement;
}

/** Whoever must learn how one request ended. `settled` must not throw: it runs inside the router. */
export interface Settlement {
  settled(record: RequestRecord): void;
}

export interface AttemptRecord {
  requestId: string;
  route: string;
  deployment: string;
  provider: ProviderName;
  /** The upstream model name. */
  model: string;
  /** Where the deployment runs (`us-east-1`), when it says. */
  region?: string;
  outcome: Outcome;
  startedAtMs: number;
  /** Time to the answer's headers, or a stream's first content (successful attempts). */
  ttftMs?: number;
  usage?: Usage;
  /**
   * `usage` is Keel's estimate, not the provider's: the attempt was given up (its client left, or it lost
   * a hedge race) before the usage came, once its request was out. The input is the client's body's
   * bytes / 4, the output a stream's streamed text's characters / 4 (the rule the keys' token estimate
   * uses), 0 for a JSON request, whose output is unknown; the provider bills the work it did whether or
   * not anyone read it.
   */
  usageEstimated?: boolean;
  /**
   * Keel gave the attempt up when the other attempt of its hedge race answered first: cancelled, or, for a
   * whole answer that came just after the winner's, discarded (its outcome `ok`). Its usage counts in its
   * deployment's figures (the provider bills it) but not in a virtual key's charge: hedging is Keel's
   * choice, not the caller's.
   */
  hedgeLost?: boolean;
  status?: number;
  latencyMs: number;
  message?: string;
  cancelled?: boolean;
  /** When the attempt went past its deployment's norm without an answer (ms after it started). */
  overdueMs?: number;
  /** Why this attempt happened: the first try, a retry on the same deployment, or a failover. */
  kind: 'first' | 'retry' | 'failover' | 'hedge' | 'last_resort' | 'recovery_probe';
}

export type DispatchAnswer =
  | { kind: 'json'; response: Extract<AttemptResult, { kind: 'json' }>['response']; raw?: Buffer }
  | { kind: 'stream'; items: AsyncGenerator<StreamItem, void, undefined> };

export interface DispatchResult {
  route: string;
  /** The deployment that answered; undefined for a degraded answer. */
  deployment: Deployment | undefined;
  /** Set when no deployment answered and Keel served a cached or static answer instead. */
  degraded?: 'cache' | 'static';
  attempts: AttemptRecord[];
  /** The client's bytes went upstream as they were, and the provider's bytes come back as they are. */
  passthrough: boolean;
  answer: DispatchAnswer;
  /**
   * Releases the request (its admission slot and deadline timer) and records it; call when the response is
   * finished. A function of its own, not a method: it may be handed on as it is.
   */
  readonly done: () => void;
}

/** One client request, as it ended: what telemetry, health and SLOs count. */
export interface RequestRecord {
  requestId: string;
  route: string;
  tenant: string | undefined;
  priority: Priority;
  clientFormat: WireFormat;
  stream: boolean;
  startedAtMs: number;
  latencyMs: number;
  /** `ok`, or the error code the client received (`all_deployments_failed`, `stream_interrupted`...). */
  outcome: 'ok' | ErrorCode;
  degraded: 'cache' | 'static' | undefined;
  /** The deployment that answered. */
  deployment: string | undefined;
  attempts: AttemptRecord[];
}

export interface RouterEvents extends Record<string, unknown> {
  attempt: AttemptRecord;
  request: RequestRecord;
  breaker: CircuitStateChangeEvent;
}

export interface RouterOptions {
  onAttempt?: (record: AttemptRecord) => void;
  clock?: Clock;
  random?: () => number;
  /** Where degraded answers are cached (shared through Redis by several replicas); in-process by default. */
  answerCache?: AnswerCache;
}

