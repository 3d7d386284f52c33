/**
 * The request body for Claude on a cloud platform (Bedrock, Vertex): an Anthropic Messages body with the
 * model moved to the URL and the platform's `anthropic_version` in the body. A same-format client's bytes
 * are edited in place (its unknown fields and formatting survive, see `editJsonMembers`); any other
 * client's request goes through the Anthropic encoder first. Bedrock also refuses a `stream` field (the
 * URL says whether to stream); Vertex reads it.
 */
import type { AttemptInput, UpstreamFailure } from '../types.js';
import { editJsonMembers } from '../http/json-members.js';
import { encodeAnthropicRequest } from './encode-anthropic-request.js';

export interface PlatformBodyOptions {
  anthropicVersion: string;
  keepStreamField: boolean;
}

export function anthropicPlatformBody(input: AttemptInput, options: PlatformBodyOptions): { ok: true; body: Buffer } | { ok: false; failure: UpstreamFailure } {
  const drop = options.keepStreamField ? ['model'] : ['model', 'stream'];
  if (input.passthroughBody !== undefined) {
    return { ok: true, body: editJsonMembers(input.passthroughBody, { drop, prepend: { anthropic_version: options.anthropicVersion } }) };
  }
  const encoded = encodeAnthropicRequest(input.request, input.deployment);
  if (!encoded.ok) return encoded;
  const body: Record<string, unknown> = { anthropic_version: options.anthropicVersion };
  for (const [key, value] of Object.entries(encoded.body)) if (!drop.includes(key)) body[key] = value;
  return { ok: true, body: Buffer.from(JSON.stringify(body)) };
}
