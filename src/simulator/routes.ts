/**
 * Maps a request line to the provider endpoint it addresses. `GET /v1/models` exists for both OpenAI and
 * Anthropic; the `anthropic-version` header, which every Anthropic client sends, tells them apart.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WireFormat } from './types.js';

/** How the answer travels: decided by the body's `stream` flag, or fixed by a Gemini URL. */
export type Transport = 'by-body' | 'json' | 'sse' | 'json-array';

export type ProviderApi = 'responses' | 'embeddings' | 'count_tokens' | 'gemini_count_tokens';

export type ProviderRoute =
  /** `api`: an endpoint of the format other than its chat one (OpenAI's Responses API, embeddings...). */
  | { kind: 'generate'; format: WireFormat; model: string | null; transport: Transport; api?: ProviderApi }
  | { kind: 'list-models'; format: WireFormat };

const GEMINI_PATH = /^\/(?:v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

export function matchRoute(method: string, url: URL, headers: IncomingHttpHeaders): ProviderRoute | null {
  const path = url.pathname;
  if (method === 'POST') {
    if (path === '/v1/chat/completions') return { kind: 'generate', format: 'openai', model: null, transport: 'by-body' };
    if (path === '/v1/responses') return { kind: 'generate', format: 'openai', model: null, transport: 'by-body', api: 'responses' };
    if (path === '/v1/embeddings') return { kind: 'generate', format: 'openai', model: null, transport: 'json', api: 'embeddings' };
    if (path === '/v1/messages/count_tokens') return { kind: 'generate', format: 'anthropic', model: null, transport: 'json', api: 'count_tokens' };
    if (path === '/v1/messages') return { kind: 'generate', format: 'anthropic', model: null, transport: 'by-body' };
    const gemini = GEMINI_PATH.exec(path);
    if (gemini !== null) {
      const model = decodeURIComponent(gemini[1] ?? '');
      if (gemini[2] === 'countTokens') return { kind: 'generate', format: 'gemini', model, transport: 'json', api: 'gemini_count_tokens' };
      // Without alt=sse, streamGenerateContent answers one JSON array of responses.
      const transport: Transport = gemini[2] === 'generateContent'
        ? 'json'
        : url.searchParams.get('alt') === 'sse' ? 'sse' : 'json-array';
      return { kind: 'generate', format: 'gemini', model, transport };
    }
    return null;
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
  for (const name of ['x-api-key', 'x-goog-api-key'] as const) {
    const value = headers[name];
    if (typeof value === 'string') keys.push(value);
  }
  const queryKey = url.searchParams.get('key');
  if (queryKey !== null) keys.push(queryKey);
  return keys;
}
