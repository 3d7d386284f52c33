/**
 * Probe requests are recognised by their request id alone, so every consumer of the router's events (health,
 * the rollup recorder, metrics, SLOs) can keep synthetic traffic apart from clients' without new fields.
 */
import { randomBytes } from 'node:crypto';
import { PROBE_ID_PREFIX } from '../core/request-id.js';

/** Client ids with this prefix are refused at the door (`acceptRequestId`), so only probes carry it. */
export const PROBE_REQUEST_ID_PREFIX = PROBE_ID_PREFIX;

export function newProbeRequestId(deploymentId: string): string {
  // Request ids must stay within `acceptRequestId`'s alphabet; deployment ids already are.
  return `${PROBE_REQUEST_ID_PREFIX}${deploymentId}_${randomBytes(6).toString('hex')}`;
}

export function isProbeRequestId(requestId: string): boolean {
  return requestId.startsWith(PROBE_REQUEST_ID_PREFIX);
}

