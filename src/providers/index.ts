/**
 * The provider for each deployment's wire format. Providers are stateless (pools live per deployment),
 * so one instance of each serves every deployment of its kind.
 */
import type { Deployment } from '../config/resolve-config.js';
import type { ProviderName } from '../config/schema.js';
import type { WireFormat } from '../core/chat-request.js';
import { AnthropicProvider } from './anthropic/anthropic-provider.js';
import { azureOpenAIProvider } from './azure-openai/azure-openai-provider.js';
import { BedrockProvider } from './bedrock/bedrock-provider.js';
import { GeminiProvider } from './gemini/gemini-provider.js';
import { OpenAIProvider } from './openai/openai-provider.js';
import { VertexProvider } from './vertex/vertex-provider.js';
import type { Provider } from './types.js';

const openai = new OpenAIProvider();

const PROVIDERS: Partial<Record<ProviderName, Provider>> = {
  openai,
  'openai-compatible': openai,
  anthropic: new AnthropicProvider(),
  gemini: new GeminiProvider(),
  bedrock: new BedrockProvider(),
  'azure-openai': azureOpenAIProvider(),
  vertex: new VertexProvider(),
};

export function providerFor(name: ProviderName): Provider {
  const provider = PROVIDERS[name];
  if (provider === undefined) throw new Error(`provider "${name}" is not supported by this version of Keel`);
  return provider;
}

/**
 * The wire format a deployment answers a client of `clientFormat` in: the client's own when the deployment
 * takes such a body as is (pass-through), else its own format (translation). A deployment's own format can
 * depend on its model (Vertex serves Claude in Anthropic's format and Gemini in Gemini's).
 */
export function deploymentFormatFor(deployment: Deployment, clientFormat: WireFormat): WireFormat {
  const provider = providerFor(deployment.provider);
  const own = provider.formatOf?.(deployment) ?? provider.format;
  const speaks = provider.speaks?.(deployment, clientFormat) ?? own === clientFormat;
  return speaks ? clientFormat : own;
}

export function isSupportedProvider(name: ProviderName): boolean {
  return PROVIDERS[name] !== undefined;
}

export type { AttemptInput, AttemptResult, Provider, StreamItem, UpstreamFailure } from './types.js';
export { closeAllPools } from './http/upstream-pool.js';
export { AttemptSignal, type UpstreamSignal } from './attempt-signal.js';
