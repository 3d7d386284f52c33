/**
 * What the rollup recorder reads of the router's events, as structural types: the router's emitter fits
 * them, and the store imports nothing of the router. Also the two pure steps applied to each attempt:
 * pricing its usage, and redacting its error message before it is kept as evidence.
 */
import type { Outcome } from '../core/outcome.js';
import { secrets } from '../core/secrets.js';
import type { RollupSource } from './store.js';

/** USD per million tokens: the shape of a deployment's `price` in the config. */
export interface RecorderPrice {
  input_per_mtok: number;
  output_per_mtok: number;
  /** Defaults to the input price. */
  cached_input_per_mtok?: number | undefined;
}

export interface RecordedUsage {
  /** The whole prompt, cached part included. */
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number | undefined;
}

/** What the recorder reads of the router's `attempt` event (structural: the store imports no router). */
export interface RecordedAttempt {
  requestId: string;
  route: string;
  deployment: string;
  outcome: Outcome;
  startedAtMs: number;
  latencyMs: number;
  ttftMs?: number | undefined;
  usage?: RecordedUsage | undefined;
  status?: number | undefined;
  message?: string | undefined;
  /** The client went away: says nothing about the provider. */
  cancelled?: boolean | undefined;
  /** Stored apart as probe traffic or not; when absent, told from the request id (probes' ids say so). */
  source?: RollupSource | undefined;
}

/** What the recorder reads of the router's `request` event. */
export interface RecordedRequest {
  requestId: string;
  route: string;
  startedAtMs: number;
  latencyMs: number;
  /** `ok` or the error code the client received. */
  outcome: string;
  degraded?: string | undefined;
  /** The deployment that answered. */
  deployment?: string | undefined;
  attempts?: readonly RecordedAttempt[] | undefined;
  source?: RollupSource | undefined;
}

export interface RecorderEvents {
  attempt: RecordedAttempt;
  request: RecordedRequest;
}

/** The router's `events` fits this (any emitter whose `on` returns an unsubscribe function does). */
export interface RecorderEventSource {
  on<K extends keyof RecorderEvents>(name: K, listener: (event: RecorderEvents[K]) => void): () => void;
}

/** USD for one attempt's usage at the deployment's price. */
export function costOf(usage: RecordedUsage | undefined, price: RecorderPrice | undefined): number {
  if (usage === undefined || price === undefined) return 0;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const cachedPrice = price.cached_input_per_mtok ?? price.input_per_mtok;
  return ((usage.inputTokens - cached) * price.input_per_mtok + cached * cachedPrice + usage.outputTokens * price.output_per_mtok) / 1_000_000;
}

/** Keys Keel knows are removed; anything shaped like a key is too (a provider may echo another one). */
export function redactMessage(message: string, maxChars: number): string {
  const redacted = secrets.redact(message).replace(/\b(sk|key|AIza)[-_A-Za-z0-9]{16,}\b/g, '[REDACTED]');
  return redacted.length > maxChars ? `${redacted.slice(0, maxChars)}…` : redacted;
}
