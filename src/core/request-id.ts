/**
 * Request ids: echo a client's `x-request-id` when it is sane, otherwise make one. A hostile id (huge, or
 * with characters that could forge log lines or headers) is replaced rather than trusted.
 */
import { RandomBytes } from './random-bytes.js';

const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

const random = new RandomBytes();

/** `req_` and 128 random bits in hex, as unguessable as a UUID (which carries 122). */
export function newRequestId(): string {
  return `req_${random.hex(16)}`;
}

/**
 * Keel's own synthetic traffic (health probes) is recognised by this prefix and kept out of client
 * availability figures; a client id using it would hide real traffic, so such an id is replaced.
 */
export const PROBE_ID_PREFIX = 'probe_';

export function acceptRequestId(clientId: string | string[] | undefined): string {
  const id = Array.isArray(clientId) ? clientId[0] : clientId;
  return id !== undefined && SAFE_ID.test(id) && !id.startsWith(PROBE_ID_PREFIX) ? id : newRequestId();
}
