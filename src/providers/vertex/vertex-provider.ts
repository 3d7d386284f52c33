/**
 * The `vertex` provider: models on Google Vertex AI, at
 * `{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/{region}/publishers/{publisher}/models/{model}`
 * (the `global` region has no prefix). Claude (`publishers/anthropic`) takes `:rawPredict` /
 * `:streamRawPredict` with an Anthropic Messages body (`anthropic_version: vertex-2023-10-16`, model in
 * the URL) and answers exactly as Anthropic does, so Anthropic clients are passed through; Gemini
 * (`publishers/google`) takes `:generateContent` / `:streamGenerateContent?alt=sse` and answers as the
 * Gemini API does. Both reuse their vendor's encoder and decoders; only the URL, the OAuth2 bearer token
 * and the platform's error shape are Vertex's.
 */
import type { Deployment } from '../../config/resolve-config.js';
import type { WireFormat } from '../../core/chat-request.js';
import type { AttemptInput, AttemptResult, Provider } from '../types.js';
import { anthropicStreamItems, readAnthropicAnswer } from '../anthropic/anthropic-provider.js';
import { anthropicPlatformBody } from '../anthropic/anthropic-platform-body.js';
import { geminiRequestBody, readGeminiAnswer } from '../gemini/gemini-provider.js';
import { readSseItems } from '../http/sse-items.js';
import { GeminiStreamDecoder } from '../gemini/gemini-stream-decoder.js';
import { exchange, type ExchangeSpec } from '../http/exchange.js';
import { googleTokenFor } from './google-credentials.js';
import { classifyVertexError } from './vertex-error.js';

/** The Messages API version Vertex serves Claude with. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

type Publisher = 'anthropic' | 'google';

/** `claude-*` models are Anthropic's; everything else on Vertex is read as Google's (Gemini). */
export function vertexPublisher(model: string): Publisher {
  return /^claude/i.test(model) ? 'anthropic' : 'google';
}

export function vertexPath(deployment: Deployment, stream: boolean): string {
  const publisher = vertexPublisher(deployment.model);
  const method = publisher === 'anthropic'
    ? (stream ? 'streamRawPredict' : 'rawPredict')
    : (stream ? 'streamGenerateContent?alt=sse' : 'generateContent');
  const location = encodeURIComponent(deployment.region ?? 'global');
  return `/v1/projects/${encodeURIComponent(deployment.project ?? '')}/locations/${location}/publishers/${publisher}/models/${encodeURIComponent(deployment.model)}:${method}`;
}

export class VertexProvider implements Provider {
  /** Claude's format by default: an Anthropic client's body is passed through to Claude on Vertex. */
  readonly format = 'anthropic' as const;

  /** Claude models answer in Anthropic's format, Gemini models in Gemini's. */
  formatOf(deployment: Deployment): WireFormat {
    return vertexPublisher(deployment.model) === 'anthropic' ? 'anthropic' : 'gemini';
  }

  async send(input: AttemptInput): Promise<AttemptResult> {
    const { deployment, request } = input;
    const token = await googleTokenFor(deployment);
    if (!token.ok) return { kind: 'failure', failure: { outcome: 'auth', message: `deployment ${deployment.id}: ${token.reason}` } };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: request.stream ? 'text/event-stream' : 'application/json',
      authorization: `Bearer ${token.token}`,
    };
    const path = vertexPath(deployment, request.stream);
    return vertexPublisher(deployment.model) === 'anthropic' ? this.claude(input, path, headers) : this.gemini(input, path, headers);
  }

  private claude(input: AttemptInput, path: string, headers: Record<string, string>): Promise<AttemptResult> | AttemptResult {
    const built = anthropicPlatformBody(input, { anthropicVersion: VERTEX_ANTHROPIC_VERSION, keepStreamField: true });
    if (!built.ok) return { kind: 'failure', failure: built.failure };
    return exchange(input, {
      path,
      headers,
      body: built.body,
      classifyError: classifyVertexError,
      readJson: (res) => readAnthropicAnswer(res, input),
      readStream: anthropicStreamItems,
    });
  }

  private gemini(input: AttemptInput, path: string, headers: Record<string, string>): Promise<AttemptResult> | AttemptResult {
    const { deployment } = input;
    // A Gemini-format client's body is Vertex's body too (the model is in the URL): sent as it came.
    const encoded = geminiRequestBody(input);
    if (!encoded.ok) return { kind: 'failure', failure: encoded.failure };
    const body = JSON.stringify(encoded.body);
    const spec: ExchangeSpec = {
      path,
      headers,
      body,
      classifyError: classifyVertexError,
      readJson: (res) => readGeminiAnswer(res, input),
      readStream: (stream, options) => readSseItems(stream, options, new GeminiStreamDecoder(deployment)),
    };
    return exchange(input, spec);
  }
}
