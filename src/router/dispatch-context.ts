/**
 * What one request carries from deployment to deployment while the router dispatches it: its input and
 * route, its deadline, what it needs of a deployment, and the evidence gathered so far (attempts, the
 * last failure, refusals and skips) from which its final error is chosen.
 */
import type { Route } from '../config/resolve-config.js';
import type { ChatRequest } from '../core/chat-request.js';
import type { ErrorCode } from '../core/errors.js';
import type { Deadline } from '../resilience/index.js';
import { needsOf, type RequestNeeds } from './capabilities.js';
import type { FailureContext } from './final-error.js';
import type { DispatchInput } from './router-types.js';

export interface DispatchContext extends Omit<FailureContext, 'clientAborted' | 'deadlineExpired'> {
  input: DispatchInput;
  route: Route;
  deadline: Deadline;
  needs: RequestNeeds;
  /** After a context-length failure, only a deployment with a larger window is worth trying. */
  minContextFailed: number | undefined;
  /** Releases the admission slot and the deadline timer, and reports the request; idempotent. */
  finish: (errorCode?: ErrorCode) => void;
  degraded?: 'cache' | 'static';
  /**
   * The index in `attempts` of the attempt whose answer the client is getting (a continuation's, once one
   * takes over). Not simply the last attempt: a hedge that lost is recorded after the winner.
   */
  answeredBy?: number;
}

/** A request's context before its first attempt: nothing tried, nothing refused yet. */
export function newDispatchContext(input: DispatchInput, route: Route, deadline: Deadline, finish: DispatchContext['finish']): DispatchContext {
  return { input, route, deadline, finish, needs: needsOf(input.request), attempts: [], last: undefined, refusals: [], skipped: [], minContextFailed: undefined };
}

/** A request's settings without its conversation and tools: what an open stream's record still reads. */
function withoutPrompt(request: ChatRequest): ChatRequest {
  return { ...request, system: [], messages: [], tools: [], extensions: {} };
}

/**
 * The input without the client's bytes (a committed stream never sends them again) and, when
 * `dropPrompt`, without the prompt. Built field by field: a rest-and-spread copy of the input went through
 * V8's slow property path, about a µs on every stream. `InputFields` fails to compile when `DispatchInput`
 * gains a field that is not copied here.
 */
export function lighterInput(input: DispatchInput, dropPrompt: boolean): DispatchInput {
  const lighter: DispatchInput = { request: dropPrompt ? withoutPrompt(input.request) : input.request, clientFormat: input.clientFormat, requestId: input.requestId, signal: input.signal };
  if (input.timeoutMs !== undefined) lighter.timeoutMs = input.timeoutMs;
  if (input.priority !== undefined) lighter.priority = input.priority;
  if (input.tenant !== undefined) lighter.tenant = input.tenant;
  if (input.passthroughResumable !== undefined) lighter.passthroughResumable = input.passthroughResumable;
  if (input.settlement !== undefined) lighter.settlement = input.settlement;
  return lighter;
}
type InputFields = 'rawBody' | 'request' | 'clientFormat' | 'requestId' | 'signal' | 'timeoutMs' | 'priority' | 'tenant' | 'passthroughResumable' | 'settlement';
const EVERY_INPUT_FIELD_COPIED: Exclude<keyof DispatchInput, InputFields> extends never ? true : never = true;
void EVERY_INPUT_FIELD_COPIED;
