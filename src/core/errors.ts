/**
 * One error contract for everything Keel answers with. A `KeelError` carries a stable `code`; the table
 * below maps each code to its HTTP status once, and `api/` maps it to each client format's error body. An
 * upstream failure that is the client's fault (a 400 from the provider) keeps the provider's status and
 * reason so the client sees what the provider said.
 */

import type { WireFormat } from './chat-request.js';

export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  unsupported_feature: 400,
  context_length: 400,
  content_filter: 400,
  upstream_client_error: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  model_not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  // A virtual key's daily or monthly spend budget is used up (OpenAI answers exhausted quota with 429 too).
  budget_exceeded: 429,
  internal: 500,
  // A stream that broke after it started: reported in-stream, the status is never sent.
  stream_interrupted: 502,
  all_deployments_failed: 503,
  unavailable: 503,
  deadline_exceeded: 504,
  // nginx's convention for "the client went away": never sent, but logged and counted.
  client_closed: 499,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One upstream attempt, as reported to a client whose request failed everywhere. */
export interface AttemptSummary {
  deployment: string;
  outcome: string;
  status?: number;
  latencyMs: number;
}

export interface KeelErrorOptions {
  /** The request field at fault, as a path (`messages[2].content`). */
  param?: string;
  /** Overrides the table's status (upstream client errors keep the provider's status). */
  status?: number;
  /** Seconds the client should wait before trying again. */
  retryAfterS?: number;
  /** Extra response headers that explain the error (the rate-limit state of a refused request). */
  headers?: Record<string, string>;
  /**
   * The rate-limit headers of the upstream answer behind this error (`retry-after`, `x-ratelimit-*`,
   * `anthropic-ratelimit-*`), passed on to the client under an `x-keel-upstream-` prefix: they describe the
   * gateway's account with a provider, never the client's own limits, which Keel's own headers carry.
   */
  upstreamHeaders?: Record<string, string>;
  attempts?: AttemptSummary[];
  /** The provider's own error type/code, kept so the client sees the original reason. */
  upstreamType?: string;
  upstreamCode?: string;
  /** The wire format those came from: a client of another format gets its own vocabulary instead. */
  upstreamFormat?: WireFormat;
  cause?: unknown;
}

export class KeelError extends Error {
  override readonly name = 'KeelError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly param: string | undefined;
  readonly retryAfterS: number | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly upstreamHeaders: Record<string, string> | undefined;
  readonly attempts: AttemptSummary[] | undefined;
  readonly upstreamType: string | undefined;
  readonly upstreamCode: string | undefined;
  readonly upstreamFormat: WireFormat | undefined;

  constructor(code: ErrorCode, message: string, options: KeelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code];
    this.param = options.param;
    this.retryAfterS = options.retryAfterS;
    this.headers = options.headers;
    this.upstreamHeaders = options.upstreamHeaders;
    this.attempts = options.attempts;
    this.upstreamType = options.upstreamType;
    this.upstreamCode = options.upstreamCode;
    this.upstreamFormat = options.upstreamFormat;
  }
}

export function isKeelError(value: unknown): value is KeelError {
  return value instanceof KeelError;
}
