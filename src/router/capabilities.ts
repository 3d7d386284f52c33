/**
 * Which deployments can serve a request at all: a request with tools only goes where tools work, images
 * where vision works, and features that only survive pass-through only to a deployment of the client's
 * own format. The reasons are kept so that a request nobody can serve gets a 400 naming the feature.
 */
import type { ChatRequest, WireFormat } from '../core/chat-request.js';
import type { Deployment } from '../config/resolve-config.js';

export interface RequestNeeds {
  tools: boolean;
  vision: boolean;
  jsonMode: boolean;
  /** Untranslatable features: only a same-format deployment can take them. */
  untranslatable: string[];
}

export function needsOf(request: ChatRequest): RequestNeeds {
  return {
    tools: request.tools.length > 0,
    vision: request.messages.some((m) => (m.role === 'user' || m.role === 'tool') && m.content.some((p) => p.type === 'image')),
    jsonMode: request.responseFormat !== undefined && request.responseFormat.type !== 'text',
    untranslatable: request.untranslatable,
  };
}

/** Why this deployment cannot serve the request, or undefined when it can. */
export function unservableReason(deployment: Deployment, deploymentFormat: WireFormat, clientFormat: WireFormat, needs: RequestNeeds): string | undefined {
  const caps = deployment.capabilities;
  if (needs.tools && !caps.tools) return 'tools';
  if (needs.vision && !caps.vision) return 'image input';
  if (needs.jsonMode && !caps.jsonMode) return 'JSON response format';
  if (needs.untranslatable.length > 0 && deploymentFormat !== clientFormat) return needs.untranslatable.join(', ');
  return undefined;
}
