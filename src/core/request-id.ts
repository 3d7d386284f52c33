/**
 * Request ids: echo a client's `x-request-id` when it is sane, otherwise make one. A hostile id (huge, or
 * with characters that could forge log lines or headers) is replaced rather than trusted.
 */
import { randomBytes } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:\-]{1,128}$/;

export function newRequestId(): string {
  return `req_${randomBytes(12).toString('hex')}`;
}

export function acceptRequestId(clientId: string | string[] | undefined): string {
  const id = Array.isArray(clientId) ? clientId[0] : clientId;
  return id !== undefined && SAFE_ID.test(id) ? id : newRequestId();
}
