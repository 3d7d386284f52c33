/**
 * Maps a request line to the provider endpoint it addresses. `GET /v1/models` exists for both OpenAI and
 * Anthropic; the `anthropic-version` header, which every Anthropic client sends, tells them apart.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireFormat } from './types.js';

/** How the answer travels: decided by the body's `stream` flag, or fixed by the URL (Gemini, Bedrock). */
export type Transport = 'by-body' | 'json' | 'sse' | 'json-array' | 'event-stream';

/**
 * Who hosts the model: the vendor's own API, or a cloud serving the same wire format with its own URLs,
 * authentication and error shapes (Claude on Bedrock and Vertex, Gemini on Vertex, GPT on Azure).
 */
export type Platform = 'direct' | 'bedrock' | 'vertex' | 'azure';

export type ProviderApi = 'responses' | 'embeddings' | 'count_tokens' | 'gemini_count_tokens';

export type ProviderRoute =
  /** `api`: an endpoint of the format other than its chat one (OpenAI's Responses API, embeddings...). */
  | { kind: 'generate'; format: WireFormat; platform: Platform; model: string | null; transport: Transport; api?: ProviderApi }
  | { kind: 'list-models'; format: WireFormat };

const GEMINI_PATH = /^\/(?:v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
const BEDROCK_PATH = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;
const VERTEX_PATH = /^\/v1(?:beta1)?\/projects\/[^/]+\/locations\/[^/]+\/publishers\/(anthropic|google)\/models\/([^/:]+):(rawPredict|streamRawPredict|generateContent|streamGenerateContent)$/;
const AZURE_DEPLOYMENT_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

function geminiTransport(method: string, url: URL): Transport {
  // Without alt=sse, streamGenerateContent answers one JSON array of responses.
  return method === 'generateContent' ? 'json' : url.searchParams.get('alt') === 'sse' ? 'sse' : 'json-array';
}

function cloudRoute(path: string, url: URL): ProviderRoute | null {
  const bedrock = BEDROCK_PATH.exec(path);
  if (bedrock !== null) {
    const transport: Transport = bedrock[2] === 'invoke' ? 'json' : 'event-stream';
    return { kind: 'generate', format: 'anthropic', platform: 'bedrock', model: decodeURIComponent(bedrock[1] ?? ''), transport };
  }
  const vertex = VERTEX_PATH.exec(path);
  if (vertex !== null) {
    const model = decodeURIComponent(vertex[2] ?? '');
    const method = vertex[3] ?? '';
    if (vertex[1] === 'anthropic') {
      if (method !== 'rawPredict' && method !== 'streamRawPredict') return null;
      return { kind: 'generate', format: 'anthropic', platform: 'vertex', model, transport: 'by-body' };
    }
    if (method !== 'generateContent' && method !== 'streamGenerateContent') return null;
    return { kind: 'generate', format: 'gemini', platform: 'vertex', model, transport: geminiTransport(method, url) };
  }
  const azure = AZURE_DEPLOYMENT_PATH.exec(path);
  if (azure !== null) {
    if (url.searchParams.get('api-version') === null) return null; // Azure answers 404 without one
    return { kind: 'generate', format: 'openai', platform: 'azure', model: decodeURIComponent(azure[1] ?? ''), transport: 'by-body' };
  }
  if (path === '/openai/v1/chat/completions') return { kind: 'generate', format: 'openai', platform: 'azure', model: null, transport: 'by-body' };
  return null;
}

export function matchRoute(method: string, url: URL, headers: IncomingHttpHeaders): ProviderRoute | null {
  const path = url.pathname;
  if (method === 'POST') {
    if (path === '/v1/chat/completions') return { kind: 'generate', format: 'openai', platform: 'direct', model: null, transport: 'by-body' };
    if (path === '/v1/responses') return { kind: 'generate', format: 'openai', platform: 'direct', model: null, transport: 'by-body', api: 'responses' };
    if (path === '/v1/embeddings') return { kind: 'generate', format: 'openai', platform: 'direct', model: null, transport: 'json', api: 'embeddings' };
    if (path === '/v1/messages/count_tokens') return { kind: 'generate', format: 'anthropic', platform: 'direct', model: null, transport: 'json', api: 'count_tokens' };
    if (path === '/v1/messages') return { kind: 'generate', format: 'anthropic', platform: 'direct', model: null, transport: 'by-body' };
    const gemini = GEMINI_PATH.exec(path);
    if (gemini !== null) {
      const model = decodeURIComponent(gemini[1] ?? '');
      if (gemini[2] === 'countTokens') return { kind: 'generate', format: 'gemini', platform: 'direct', model, transport: 'json', api: 'gemini_count_tokens' };
      return { kind: 'generate', format: 'gemini', platform: 'direct', model, transport: geminiTransport(gemini[2] ?? '', url) };
    }
    return cloudRoute(path, url);
  }
  if (method === 'GET') {
    if (path === '/v1/models') {
      return { kind: 'list-models', format: headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai' };
    }
    if (path === '/v1beta/models') return { kind: 'list-models', format: 'gemini' };
  }
  return null;
}

/** The API key a request presents, in any of the places the three providers accept one. */
export function presentedKeys(url: URL, headers: IncomingHttpHeaders): string[] {
  const keys: string[] = [];
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && /^bearer\s+/i.test(authorization)) {
    keys.push(authorization.replace(/^bearer\s+/i, '').trim());
  }
  for (const name of ['x-api-key', 'x-goog-api-key', 'api-key'] as const) {
    const value = headers[name];
    if (typeof value === 'string') keys.push(value);
  }
  const queryKey = url.searchParams.get('key');
  if (queryKey !== null) keys.push(queryKey);
  return keys;
}
