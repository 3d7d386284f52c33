/**
 * What a client-facing request's outcome (`ok`, an error code, or `degraded`) says about Keel's service:
 * a failure to serve (5xx, shedding, a degraded stand-in answer) or the client's own doing (4xx, a client
 * that went away), which no availability figure should count against Keel or its providers.
 */
import { ERROR_STATUS, type ErrorCode } from '../core/errors.js';

/** True when the client did not get a real answer through no fault of its own. */
export function isServedFailure(outcome: string): boolean {
  if (outcome === 'ok') return false;
  // A cached or static stand-in kept the client going, but it was not an answer to the question.
  if (outcome === 'degraded') return true;
  const status = (ERROR_STATUS as Record<string, number | undefined>)[outcome];
  // An unknown code is counted against Keel: better an honest dip than a hidden failure.
  if (status === undefined) return true;
  // Keel shedding load (429) is a failure to serve; a client's 4xx and a client hanging up are not.
  return outcome === ('rate_limited' satisfies ErrorCode) || status >= 500;
}

/** True when the outcome counts at all (success or served failure): client errors are left out. */
export function countsForAvailability(outcome: string): boolean {
  return outcome === 'ok' || isServedFailure(outcome);
}
