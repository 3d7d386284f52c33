/**
 * Who may make a request, and on what terms: the seam between the client surfaces and whatever
 * authenticates callers and enforces their limits (virtual keys, in `server/auth/`). The contract lives
 * here so that `api/` depends on nothing above it; without a gate (the library's in-process fetch) every
 * request is the anonymous caller's.
 */
import type { Priority } from '../resilience/index.js';
import type { Settlement } from '../router/router-types.js';

/** An authenticated caller: what the router needs to know about them. */
export interface Caller {
  /** The virtual key's id and name; undefined when Keel runs open (no keys configured). */
  keyId: string | undefined;
  keyName: string | undefined;
  /** Whose request this is: answers cached for one tenant are never served to another. */
  tenant: string | undefined;
  /** The key's priority class for load shedding: a ceiling, a `batch` key cannot claim `interactive`. */
  priority: Priority | undefined;
  /** The models the key may use; undefined: every model. */
  models?: readonly string[];
}

/** What admission looks at once the body is parsed. */
export interface AdmissionRequest {
  json: unknown;
  bodyBytes: number;
}

/**
 * An admitted request: the answer's rate-limit headers, and a way to give back what it reserved. It rides
 * with the request to the router (`DispatchInput.settlement`), which tells it the request's record at the end.
 */
export interface Grant extends Settlement {
  /** Adds the answer's rate-limit headers to `target` (an answer's own headers, completed in place). */
  writeHeaders(target: Record<string, string>): void;
  /** The request ended without reaching the router (refused, or failed before dispatch): refund it. */
  abandon(): void;
}

export interface RequestGate {
  /** From the headers alone, before the body is read; throws a KeelError `unauthorized`. */
  authenticate(headers: Record<string, string | string[] | undefined>): Caller;
  /** Model allowed, budgets, rate limits; throws a KeelError (`forbidden`, `budget_exceeded`, `rate_limited`). */
  admit(caller: Caller, request: AdmissionRequest): Grant | Promise<Grant>;
}
