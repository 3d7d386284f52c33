/**
 * The contract between the router and a provider. A provider makes one attempt against one deployment
 * and reports what happened as data: a response, a stream of items, or a classified failure. It never
 * throws for an upstream problem and never decides what to do next; the router does.
 */
import type { ChatRequest, WireFormat } from '../core/chat-request.js';
import type { ChatResponse, StreamEvent } from '../core/chat-response.js';
import type { Outcome } from '../core/outcome.js';
import type { Deployment } from '../config/resolve-config.js';
import type { UpstreamSignal } from './attempt-signal.js';

export type FailureOutcome = Exclude<Outcome, 'ok'>;

export interface UpstreamFailure {
  outcome: FailureOutcome;
  /** A human-readable reason, redacted of secrets, safe to show a client. */
  message: string;
  status?: number;
  /** How long the provider asked us to wait (Retry-After / retry-after-ms). */
  retryAfterMs?: number;
  /** The provider's own error type and code (`rate_limit_error`, `context_length_exceeded`). */
  providerType?: string;
  providerCode?: string;
  param?: string;
  /** The attempt was cancelled by the client, not failed by the provider: it says nothing of health. */
  cancelled?: boolean;
  /**
   * The provider said the quota behind this refusal is used up for hours, not for seconds: a daily or
   * monthly quota, a spend limit, no credit left. Set only with outcome `rate_limited`. Retrying the same
   * deployment soon only adds load; fail over and keep the deployment out until its `retryAfterMs` (when
   * given) or for a long cool-down.
   */
  quotaExhausted?: boolean;
  /**
   * The rate-limit headers of the provider's error answer (`retry-after`, `retry-after-ms`, `x-ratelimit-*`,
   * `anthropic-ratelimit-*`): lower-case names, values verbatim (printable ASCII only), for passing on to
   * the client with the final error. Absent when the answer had none.
   */
  rateLimitHeaders?: Record<string, string>;
}

export interface AttemptTimeouts {
  /**
   * Longest silence between two stream data events once the first has come (and while reading a JSON
   * body). The wait for headers and the first token is timed by the router's attempt clock, which aborts
   * `signal` with a `StreamTimeoutError` when it is over.
   */
  idleMs: number;
}

export interface AttemptInput {
  deployment: Deployment;
  request: ChatRequest;
  /**
   * The client's body bytes with only the model swapped, when the client's format is this provider's
   * format: sent as is, so fields Keel does not model survive.
   */
  passthroughBody?: Buffer;
  timeouts: AttemptTimeouts;
  /** Aborts on client disconnect, at the request deadline, or when the attempt's clock cuts it. */
  signal: UpstreamSignal;
  requestId: string;
  /** Called when the response headers arrive (the attempt's first byte). */
  onHeaders?: () => void;
}

export type StreamItem =
  /**
   * `raw` is the upstream SSE event re-framed verbatim, for forwarding to a same-format client; `bytes`,
   * when set, are the upstream's own bytes of exactly `raw` (see verbatim-bytes.ts): written instead, they
   * need no encoding.
   */
  | { kind: 'data'; events: StreamEvent[]; raw?: string; bytes?: Buffer | undefined }
  | { kind: 'end' }
  | { kind: 'failure'; failure: UpstreamFailure }
  /**
   * Made by the router only, before a mid-stream continuation: every event the client was already sent,
   * so a surface that forwarded raw bytes can bring its encoder up to date and encode from here on.
   */
  | { kind: 'resync'; events: StreamEvent[] };

export type AttemptResult =
  | { kind: 'json'; response: ChatResponse; raw?: Buffer }
  | { kind: 'stream'; items: AsyncGenerator<StreamItem, void, undefined> }
  | { kind: 'failure'; failure: UpstreamFailure };

export interface Provider {
  /** The wire format this provider speaks: a client in the same format gets pass-through. */
  readonly format: WireFormat;
  /**
   * The wire format of one deployment, when it depends on the model (Vertex serves Claude in Anthropic's
   * format and Gemini in Gemini's); `format` otherwise. Read through `deploymentFormatFor`.
   */
  formatOf?(deployment: Deployment): WireFormat;
  /** Whether a deployment takes a client's body of `format` as is; by default only its own `format`. */
  speaks?(deployment: Deployment, format: WireFormat): boolean;
  send(input: AttemptInput): Promise<AttemptResult>;
}
