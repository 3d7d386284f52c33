/**
 * The contract between the router and a provider. A provider makes one attempt against one deployment
 * and reports what happened as data: a response, a stream of items, or a classified failure. It never
 * throws for an upstream problem and never decides what to do next; the router does.
 */
import type { ChatRequest, WireFormat } from '../core/chat-request.js';
import type { ChatResponse, StreamEvent } from '../core/chat-response.js';
import type { Outcome } from '../core/outcome.js';
import type { Deployment } from '../config/resolve-config.js';

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
}

export interface AttemptTimeouts {
  /** Response headers and, when streaming, the first data event must arrive within this. */
  ttftMs: number;
  /** Longest silence between two stream data events. */
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
  /** Aborts on client disconnect or at the request deadline. */
  signal: AbortSignal;
  requestId: string;
}

export type StreamItem =
  /** `raw` is the upstream SSE event re-framed verbatim, for forwarding to a same-format client. */
  | { kind: 'data'; events: StreamEvent[]; raw?: string }
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
  /** Whether a deployment takes a client's body of `format` as is; by default only its own `format`. */
  speaks?(deployment: Deployment, format: WireFormat): boolean;
  send(input: AttemptInput): Promise<AttemptResult>;
}
