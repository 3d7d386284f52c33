/**
 * The `gemini` provider: one attempt against the Gemini API (`generateContent`, or
 * `streamGenerateContent?alt=sse`). No client speaks Gemini to Keel, so every request is translated,
 * and refused by name when Gemini cannot express it. The key travels in `x-goog-api-key`, never in the
 * URL, which ends up in logs and traces.
 */
import type { Readable } from 'node:stream';
import type { AttemptInput, AttemptResult, Provider, StreamItem } from '../types.js';
import { classifyNetworkFailure } from '../http/network-failure.js';
import { readSseEvents } from '../http/sse-reader.js';
import { readBodyBuffer, readBodyText, sendUpstream, type UpstreamResponse } from '../http/upstream-request.js';
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

export class GeminiProvider implements Provider {
  readonly format = 'gemini' as const;

  async send(input: AttemptInput): Promise<AttemptResult> {
    const { deployment, request } = input;
    // Never pass-through: the passthrough body, if any, is in another client's format.
    const encoded = encodeGeminiRequest(request, deployment);
    if (!encoded.ok) return { kind: 'failure', failure: encoded.failure };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: request.stream ? 'text/event-stream' : 'application/json',
    };
    if (deployment.apiKey !== undefined) headers['x-goog-api-key'] = deployment.apiKey;
    const path = geminiPath(deployment.model, request.stream);
    const sent = await sendUpstream({ deployment, path, headers, body: JSON.stringify(encoded.body), signal: input.signal, headersTimeoutMs: input.timeouts.ttftMs });
    if (!sent.ok) return { kind: 'failure', failure: sent.failure };
    const res = sent.response;
    try {
      if (res.status >= 400) {
        const text = await readBodyText(res.body);
        return { kind: 'failure', failure: classifyGeminiError(res.status, text, res.headers, Date.now()) };
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!request.stream || !contentType.includes('text/event-stream')) return await readJson(res, input);
      const firstEventMs = input.timeouts.ttftMs - (Date.now() - res.startedAtMs);
      const decoder = new GeminiStreamDecoder(deployment);
      return { kind: 'stream', items: geminiStreamItems(res.body, { firstEventMs, idleMs: input.timeouts.idleMs, signal: input.signal }, decoder) };
    } catch (err) {
      res.body.destroy();
      return { kind: 'failure', failure: classifyNetworkFailure(err, input.signal, 'body') };
    }
  }
}

async function readJson(res: UpstreamResponse, input: AttemptInput): Promise<AttemptResult> {
  const raw = await readBodyBuffer(res.body);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { kind: 'failure', failure: { outcome: 'server_error', message: 'the provider answered with invalid JSON', status: res.status } };
  }
  const parsed = geminiResponse.safeParse(json);
  if (!parsed.success) {
    const streamWanted = input.request.stream ? ' (a JSON body where a stream was asked for)' : '';
    return { kind: 'failure', failure: { outcome: 'server_error', message: `the provider's answer is not a GenerateContentResponse${streamWanted}`, status: res.status } };
  }
  const decoded = decodeGeminiResponse(parsed.data, input.deployment, Math.floor(Date.now() / 1000));
  return decoded.ok ? { kind: 'json', response: decoded.response } : { kind: 'failure', failure: decoded.failure };
}

export interface StreamReadOptions {
  /** Time left for the first data event. */
  firstEventMs: number;
  idleMs: number;
  signal: AbortSignal;
}

/**
 * The items of one Gemini stream: data items as chunks arrive, then exactly one `end` or `failure`. The
 * stream is read to the end of the body (Gemini's only terminator); once a finish reason has arrived,
 * a body that then breaks or stalls has lost nothing, and the stream still ends well.
 */
export async function* geminiStreamItems(body: Readable, options: StreamReadOptions, decoder: GeminiStreamDecoder): AsyncGenerator<StreamItem, void, undefined> {
  try {
    const reading = { firstEventMs: options.firstEventMs, idleMs: options.idleMs, completed: () => decoder.finished };
    for await (const event of readSseEvents(body, reading)) {
      const decoded = decoder.push(event.data);
      if (decoded.failure !== undefined) {
        yield { kind: 'failure', failure: decoded.failure };
        return;
      }
      if (decoded.raw !== undefined) yield { kind: 'data', events: decoded.events, raw: decoded.raw };
    }
  } catch (err) {
    if (!decoder.finished) {
      yield { kind: 'failure', failure: classifyNetworkFailure(err, options.signal, 'body') };
      return;
    }
  }
  yield decoder.finished ? { kind: 'end' } : { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended before the answer finished' } };
}
