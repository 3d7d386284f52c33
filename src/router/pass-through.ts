/**
 * The one place that decides whether an attempt is a pass-through: the client speaks the deployment's
 * own wire format and its body bytes are at hand. Then the body goes upstream as the client sent it with
 * only the model swapped (fields Keel does not model survive), and the provider's bytes come back as they
 * are; providers and surfaces read the decision (`passthroughBody` set, `DispatchResult.passthrough`),
 * they never make it again.
 */
import type { Deployment } from '../config/resolve-config.js';
import { deploymentFormatFor } from '../providers/index.js';
import type { DispatchInput } from './router-types.js';
import { swapModel } from './swap-model.js';

export function passthroughBody(input: Pick<DispatchInput, 'clientFormat' | 'rawBody'>, deployment: Deployment): Buffer | undefined {
  if (input.rawBody === undefined || deploymentFormatFor(deployment, input.clientFormat) !== input.clientFormat) return undefined;
  return swapModel(input.rawBody, deployment.model);
}
