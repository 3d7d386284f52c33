/**
 * The classified result of one attempt (one upstream call to one deployment). Every policy reads an
 * `Outcome`, never an exception or a status code: the provider that made the call decides once what
 * happened, and the tables below decide once what that means for retrying and failing over.
 */
export const OUTCOMES = [
  'ok',
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connect_error',
  'stream_cut',
  'bad_request',
  'auth',
  'context_length',
  'content_filter',
] as const;

export type Outcome = (typeof OUTCOMES)[number];

/**
 * Failures worth another attempt on the same deployment (after a backoff). Not `connect_error`: a
 * refused or reset connection fails over at once — waiting out a backoff to knock on the same closed
 * door only delays the answer another deployment can give now.
 */
const RETRYABLE: ReadonlySet<Outcome> = new Set<Outcome>([
  'rate_limited',
  'overloaded',
  'server_error',
  'stream_cut',
]);

/**
 * Failures worth an attempt on another deployment. `timeout` is here but not in RETRYABLE: a silent
 * provider is not asked again, the request moves on. `context_length` fails over only to a deployment
 * with a larger context window (the router checks that); client errors never fail over.
 */
const FAILOVERABLE: ReadonlySet<Outcome> = new Set<Outcome>([
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connect_error',
  'stream_cut',
  'context_length',
]);

/** Outcomes that count against a deployment's health (breakers, incidents, SLAs). */
const PROVIDER_FAULT: ReadonlySet<Outcome> = new Set<Outcome>([
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connect_error',
  'stream_cut',
]);

export function isRetryable(outcome: Outcome): boolean {
  return RETRYABLE.has(outcome);
}

export function isFailoverable(outcome: Outcome): boolean {
  return FAILOVERABLE.has(outcome);
}

/** True when the outcome is the provider's fault rather than the caller's (or a success). */
export function isProviderFault(outcome: Outcome): boolean {
  return PROVIDER_FAULT.has(outcome);
}
