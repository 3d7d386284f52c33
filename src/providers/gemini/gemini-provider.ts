/**
 * The `gemini` provider: one attempt against the Gemini API (`generateContent`, or
 * `streamGenerateContent?alt=sse`). A client of Gemini's own API has its body passed through (its
 * stream chunks forwarded as they come); any other request is translated, and refused by name when
 * Gemini cannot express it. The key travels in `x-goog-api-key`, never in the URL, which ends up in logs
 * and traces.
 */
import { z } from 'zod';
import type { AttemptInput, AttemptResult, Provider } from '../types.js';
import { readSseItems } from '../http/sse-items.js';
import { exchange, readJsonAnswer } from '../http/exchange.js';
import type { UpstreamResponse } from '../http/upstream-request.js';
import { classifyGeminiError } from './gemini-error.js';
import { GeminiStreamDecoder } from './gemini-stream-decoder.js';
import { geminiResponse } from './gemini-wire.js';
import { decodeGeminiResponse } from './decode-gemini-response.js';
import { encodeGeminiRequest } from './encode-gemini-request.js';

const API_VERSION = 'v1beta'; // where generateContent has every feature the encoder uses (thinking, JSON schemas)

/** `models/gemini-2.5-pro` and `gemini-2.5-pro` name the same model; the path wants the bare id. */
export function geminiPath(model: string, stream: boolean): string {
  const id = encodeURIComponent(model.replace(/^models\//, ''));
  return stream ? `/${API_VERSION}/models/${id}:streamGenerateContent?alt=sse` : `/${API_VERSION}/models/${id}:generateContent`;
}

/** The client's body without the top-level `model` the router's swap adds: Gemini refuses unknown fields. */
function withoutModel(body: Buffer): Record<string, unknown> {
  const { model: _model, ...rest } = z.record(z.string(), z.unknown()).parse(JSON.parse(body.toString('utf8')));
  return rest;
}

/**
 * The body of a generateContent call (Gemini API or Vertex): a Gemini client's own body as it came (the
 * model lives in the URL, not in the body), any other client's request encoded.
 */
export function geminiRequestBody(input: AttemptInput): ReturnType<typeof encodeGeminiRequest> {
  if (input.passthroughBody !== undefined) return { ok: true, body: withoutModel(input.passthroughBody) as never };
  return encodeGeminiRequest(input.request, input.deployment);
}

export class GeminiProvider implements Provider {
  readonly format = 'gemini' as const;

  async send(input: AttemptInput): Promise<AttemptResult> {
    const { deployment, request } = input;
    const encoded = geminiRequestBody(input);
    if (!encoded.ok) return { kind: 'failure', failure: encoded.failure };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: request.stream ? 'text/event-stream' : 'application/json',
    };
    if (deployment.apiKey !== undefined) headers['x-goog-api-key'] = deployment.apiKey;
    const path = geminiPath(deployment.model, request.stream);
    return exchange(input, {
      path,
      headers,
      body: JSON.stringify(encoded.body),
      classifyError: classifyGeminiError,
      readJson: (res) => readGeminiAnswer(res, input),
      readStream: (stream, options) => readSseItems(stream, options, new GeminiStreamDecoder(deployment)),
    });
  }
}


/**
 * Reads a GenerateContentResponse (from the Gemini API or Vertex); for a same-format client the provider's
 * bytes are kept, to be forwarded as they are.
 */
export async function readGeminiAnswer(res: UpstreamResponse, input: AttemptInput): Promise<AttemptResult> {
  const read = await readJsonAnswer(res, geminiResponse, 'a GenerateContentResponse', input.request.stream);
  if (!read.ok) return { kind: 'failure', failure: read.failure };
  const decoded = decodeGeminiResponse(read.json, input.deployment, Math.floor(Date.now() / 1000));
  if (!decoded.ok) return { kind: 'failure', failure: decoded.failure };
  return input.passthroughBody === undefined || input.request.stream ? { kind: 'json', response: decoded.response } : { kind: 'json', response: decoded.response, raw: read.raw };
}
