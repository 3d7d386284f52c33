/**
 * Whether a deployment may take an attempt now, and the resources it holds if so: it can serve the request
 * (capabilities; after a context-length failure, only a larger window), it has a free concurrency slot (a
 * saturated deployment has lost capacity: its excess goes to the fallbacks), its breaker admits the call,
 * and the adaptive throttle does not shed it. Why it may not is recorded for the client's error.
 */
import type { Deployment } from '../config/resolve-config.js';
import type { WireFormat } from '../core/chat-request.js';
import { deploymentFormatFor } from '../providers/index.js';
import type { AdaptiveLimit, CircuitBreakerPermit } from '../resilience/index.js';
import { unservableReason, type RequestNeeds } from './capabilities.js';
import type { RouterPolicies } from './policies.js';

/** A deployment cleared to take an attempt: a concurrency slot and a breaker permit are held for it. */
export interface Admitted {
  deployment: Deployment;
  limit: AdaptiveLimit;
  permit: CircuitBreakerPermit;
}

export interface AdmissionContext {
  input: { clientFormat: WireFormat };
  needs: RequestNeeds;
  minContextFailed: number | undefined;
  /** Deployments that cannot serve the request at all, with why. */
  refusals: string[];
  /** Deployments passed over for now (capacity, breaker, throttle), with why. */
  skipped: string[];
}

export function admitDeployment(policies: RouterPolicies, random: () => number, d: AdmissionContext, deployment: Deployment, refusedByBreaker: string[]): Admitted | undefined {
  const reason = unservableReason(deployment, deploymentFormatFor(deployment, d.input.clientFormat), d.input.clientFormat, d.needs);
  if (reason !== undefined) {
    d.refusals.push(`${deployment.id}: ${reason}`);
    return undefined;
  }
  if (d.minContextFailed !== undefined && (deployment.capabilities.contextWindow ?? 0) <= d.minContextFailed) return undefined;
  const limit = policies.limitFor(deployment.id);
  if (!limit.tryAcquire()) {
    d.skipped.push(`${deployment.id}: at capacity`);
    return undefined;
  }
  const breaker = policies.breakers.get(deployment.id);
  const admission = breaker.tryAcquire();
  if (!admission.allowed) {
    limit.release(undefined);
    d.skipped.push(`${deployment.id}: circuit open`);
    refusedByBreaker.push(deployment.id);
    return undefined;
  }
  // A breaker's recovery probe is not throttled: it is how a deployment earns traffic back.
  if (admission.permit.kind === 'normal' && policies.throttle?.shouldReject(deployment.id, random) === true) {
    breaker.release(admission.permit);
    limit.release(undefined);
    d.skipped.push(`${deployment.id}: throttled`);
    return undefined;
  }
  return { deployment, limit, permit: admission.permit };
}
