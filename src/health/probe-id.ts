/**
 * Probe requests are recognised by their request id alone, so every consumer of the router's events (health,
 * the rollup recorder, metrics, SLOs) can keep synthetic traffic apart from clients' without new fields.
 */
import { randomBytes } from 'node:crypto';
import { PROBE_ID_PREFIX } from '../core/request-id.js';
import type { AttemptRecord, RequestRecord, RouterEvents } from '../router/router-types.js';

/** Client ids with this prefix are refused at the door (`acceptRequestId`), so only probes carry it. */
export const PROBE_REQUEST_ID_PREFIX = PROBE_ID_PREFIX;

export function newProbeRequestId(deploymentId: string): string {
  // Request ids must stay within `acceptRequestId`'s alphabet; deployment ids already are.
  return `${PROBE_REQUEST_ID_PREFIX}${deploymentId}_${randomBytes(6).toString('hex')}`;
}

export function isProbeRequestId(requestId: string): boolean {
  return requestId.startsWith(PROBE_REQUEST_ID_PREFIX);
}

/** The rollup source of an event: what the recorder should store it under. */
export function rollupSourceOf(requestId: string): 'client' | 'probe' {
  return isProbeRequestId(requestId) ? 'probe' : 'client';
}

/** The router events the recorder reads, each told whether it came from a client or a probe. */
export interface SourcedRouterEvents {
  attempt: AttemptRecord & { source: 'client' | 'probe' };
  request: RequestRecord & { source: 'client' | 'probe' };
}

/**
 * Wraps a router's events so every `attempt` and `request` carries `source` from its request id: what the
 * rollup recorder needs to store probes apart (`recorder.attach(withRollupSource(router.events))`).
 */
export function withRollupSource(events: { on<K extends keyof RouterEvents>(name: K, listener: (event: RouterEvents[K]) => void): () => void }): {
  on<K extends keyof SourcedRouterEvents>(name: K, listener: (event: SourcedRouterEvents[K]) => void): () => void;
} {
  return {
    on: (name, listener) =>
      events.on(name, (event: AttemptRecord | RequestRecord) => (listener as (e: unknown) => void)({ ...event, source: rollupSourceOf(event.requestId) })),
  };
}
