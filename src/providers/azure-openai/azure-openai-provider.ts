/**
 * The `azure-openai` provider: GPT deployments on Azure OpenAI, which speak OpenAI's Chat Completions
 * format at other URLs — `{resource}/openai/deployments/{deployment}/chat/completions?api-version=...`,
 * or the newer `{resource}/openai/v1/chat/completions` surface (`api_version: v1`) — with the key in an
 * `api-key` header, or an Entra ID bearer token. The OpenAI encoder, decoders and stream reader are
 * reused as they are; only the endpoint, the authorisation and Azure's content-filter errors differ.
 */
import type { Deployment } from '../../config/resolve-config.js';
import { OpenAIProvider } from '../openai/openai-provider.js';
import { classifyAzureOpenAIError } from './azure-openai-error.js';

/** The generally available data-plane version the deployment-name URLs default to. */
export const DEFAULT_AZURE_API_VERSION = '2024-10-21';

export function azureOpenAIPath(deployment: Deployment): string {
  const version = deployment.apiVersion ?? DEFAULT_AZURE_API_VERSION;
  if (version === 'v1') return '/openai/v1/chat/completions';
  // On the deployment-name surface the URL names the deployment; the body's `model` is ignored.
  return `/openai/deployments/${encodeURIComponent(deployment.model)}/chat/completions?api-version=${encodeURIComponent(version)}`;
}

export function azureAuthHeaders(deployment: Deployment): Record<string, string> {
  if (deployment.apiKey === undefined) return {};
  return deployment.azureAuth === 'entra' ? { authorization: `Bearer ${deployment.apiKey}` } : { 'api-key': deployment.apiKey };
}

export function azureOpenAIProvider(): OpenAIProvider {
  return new OpenAIProvider({
    path: azureOpenAIPath,
    authHeaders: azureAuthHeaders,
    classifyError: classifyAzureOpenAIError,
    filteredAnswerIsRefusal: true,
  });
}
