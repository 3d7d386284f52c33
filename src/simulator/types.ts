/**
 * Public types of the provider simulator: its options, the handle a test holds, the stats it reports and
 * the fault catalogue. The simulator is Keel's independent test oracle, so these types are declared here
 * and nowhere else; nothing in this folder imports from the rest of Keel.
 */

/** The three provider wire formats the simulator speaks. */
export type WireFormat = 'openai' | 'anthropic' | 'gemini';

export interface SimulatorOptions {
  /** Interface to bind; default '127.0.0.1'. */
  host?: string;
  /** Port to bind; default 0 (an ephemeral port, read it back from `Simulator.port`). */
  port?: number;
  /** Seed of the PRNG that decides fault `rate` hits; default 1. */
  seed?: number;
  /** Delay between streamed tokens; default 0 (fastest, for benchmarks). */
  tokenDelayMs?: number;
  /** Optional per-model settings; unknown model names are accepted with defaults. */
  models?: SimModelSpec[];
  /** When set, provider requests must carry this key (Bearer, x-api-key, x-goog-api-key, api-key or ?key=). */
  apiKey?: string;
  /** When set, Bedrock requests must carry a valid SigV4 signature made with this key pair. */
  aws?: { accessKeyId: string; secretAccessKey: string };
  /** When set, Vertex requests must carry this OAuth2 bearer token (otherwise any bearer token). */
  googleToken?: string;
  /** When set, Vertex also accepts this service account's self-signed JWT access tokens (verified). */
  googleServiceAccount?: { clientEmail: string; publicKeyPem: string };
}

export interface SimModelSpec {
  name: string;
  /** Input tokens above this answer the format's context-length error. */
  contextWindow?: number;
  /** Delay before the response headers of every request to this model. */
  latencyMs?: number;
  /** Overrides `SimulatorOptions.tokenDelayMs` for this model. */
  tokenDelayMs?: number;
  /** Fixed text reply instead of the default echo. */
  reply?: string;
}

import type { VendorStatusPage } from './vendor-status-page.js';

export interface Simulator {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:43121. */
  readonly url: string;
  readonly port: number;
  /** A simulated vendor status page (Statuspage v2 JSON under `/api/v2/`), for drills. */
  readonly vendorStatus: VendorStatusPage;
  /** Install (or with null, clear) a fault for one model; model '*' applies to every model. */
  setFault(model: string, fault: FaultSpec | null): void;
  clearFaults(): void;
  stats(): SimStats;
  resetStats(): void;
  /** Close the listener so new connections are refused, destroying open sockets; the port is kept. */
  stopListening(): Promise<void>;
  /** Listen again on the same port. */
  resumeListening(): Promise<void>;
  /** Close everything, destroying open and hanging sockets so tests never hang. */
  close(): Promise<void>;
}

export interface SimRequestRecord {
  /** Epoch milliseconds when the request arrived. */
  at: number;
  format: WireFormat;
  model: string;
  path: string;
  stream: boolean;
  /** Request headers, lower-cased names, repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The parsed JSON body (null for a body that was empty or not JSON). */
  body: unknown;
  /** The fault type applied to this request, if any (for a `mix`, the one drawn). */
  fault?: string;
}

export interface SimStats {
  /** Every provider request (attempt) that arrived, counted on arrival: one that then hangs counts too. */
  total: number;
  /** Provider requests being answered right now (streams, hangs, stalls); 0 once clients have gone. */
  active: number;
  byModel: Record<string, number>;
  byFormat: { openai: number; anthropic: number; gemini: number };
  /** Applied faults counted by fault type (a `mix` counts the fault it drew). */
  faultsApplied: Record<string, number>;
  /** The same, per model: which attempts to which model met which fault. */
  faultsByModel: Record<string, Record<string, number>>;
  /** The last 200 requests, oldest first. */
  recent: SimRequestRecord[];
}

/** Error kinds an `error` fault can name; when absent the kind follows from the status. */
export type ErrorKind =
  | 'rate_limit'
  | 'overloaded'
  | 'server_error'
  | 'unavailable'
  | 'timeout'
  | 'context_length'
  | 'content_filter'
  | 'bad_request'
  | 'auth'
  | 'not_found';

export interface ErrorFault {
  type: 'error';
  status: number;
  kind?: ErrorKind;
  message?: string;
  /** Sent as `retry-after` (seconds); Gemini 429s also carry a RetryInfo detail. */
  retryAfterS?: number;
  /** Sent as `retry-after-ms` (OpenAI style). */
  retryAfterMs?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Replaces the provider-shaped body: objects are sent as JSON, strings verbatim. */
  body?: unknown;
}

/** One fault a request can meet: what the request handlers act on (a `mix` is resolved to one of these). */
export type SingleFaultSpec =
  | ErrorFault
  | { type: 'latency'; ms: number }
  | { type: 'slow_first_token'; ms: number }
  | { type: 'reset' }
  | { type: 'hang' }
  /** Response headers (200) at once, then no body byte: for `ms` (then the whole answer) or until the client leaves. */
  | { type: 'body_hang'; ms?: number }
  | { type: 'stream_cut'; afterTokens: number }
  | { type: 'stream_stall'; afterTokens: number; ms?: number }
  | { type: 'malformed_chunk'; afterTokens: number }
  | { type: 'missing_done'; keepOpen?: boolean }
  | { type: 'in_stream_error'; afterTokens: number; kind?: 'overloaded' | 'server_error' };

/** A choice of one fault in a `mix`, drawn with probability weight / sum of weights (default weight 1). */
export type MixChoice = SingleFaultSpec & { weight?: number };

/**
 * Each hit meets one of several faults, drawn by the seeded PRNG: a provider failing in more than one
 * way at once ("hangs or stalls or resets"), as gray failures do.
 */
export interface MixFault {
  type: 'mix';
  faults: readonly MixChoice[];
}

export type FaultKindSpec = SingleFaultSpec | MixFault;

export interface FaultScope {
  /** Share of matching requests hit, 0..1, decided by the seeded PRNG; default 1. */
  rate?: number;
  /** Apply to the next N hits only, then the fault clears itself. */
  times?: number;
}

export type FaultSpec = FaultKindSpec & FaultScope;

export type FaultType = FaultKindSpec['type'];
