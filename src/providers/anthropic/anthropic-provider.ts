/**
 * The `anthropic` provider: one attempt against a Messages endpoint. A same-format client's body goes out
 * as the client sent it (model swapped), so fields Keel does not model (`cache_control`, beta features)
 * survive; any other client's request is translated, or refused by name when Anthropic cannot express
 * it. Stream events come back both decoded (for translation, health and usage) and verbatim, pings
 * included (for forwarding).
 */
import type { Readable } from 'node:stream';
import type { AttemptInput, AttemptResult, Provider, StreamItem } from '../types.js';
import { classifyNetworkFailure } from '../http/network-failure.js';
import { readSseEvents } from '../http/sse-reader.js';
import { readBodyBuffer, readBodyText, sendUpstream, type UpstreamResponse } from '../http/upstream-request.js';
import { classifyAnthropicError } from './anthropic-error.js';
import { AnthropicStreamDecoder } from './anthropic-stream-decoder.js';
import { anthropicMessage } from './anthropic-wire.js';
import { decodeAnthropicResponse } from './decode-anthropic-response.js';
import { encodeAnthropicRequest } from './encode-anthropic-request.js';

/** The API version Keel's encoder and decoders are written against. */
export const ANTHROPIC_VERSION = '2023-06-01';

export class AnthropicProvider implements Provider {
  readonly format = 'anthropic' as const;

  async send(input: AttemptInput): Promise<AttemptResult> {
    const { deployment, request } = input;
    let body: Buffer | string;
    if (input.passthroughBody !== undefined) {
      body = input.passthroughBody;
    } else {
      const encoded = encodeAnthropicRequest(request, deployment);
      if (!encoded.ok) return { kind: 'failure', failure: encoded.failure };
      body = JSON.stringify(encoded.body);
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: request.stream ? 'text/event-stream' : 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
    };
    if (deployment.apiKey !== undefined) headers['x-api-key'] = deployment.apiKey;
    const sent = await sendUpstream({ deployment, path: '/v1/messages', headers, body, signal: input.signal, headersTimeoutMs: input.timeouts.ttftMs });
    if (!sent.ok) return { kind: 'failure', failure: sent.failure };
    const res = sent.response;
    try {
      if (res.status >= 400) {
        const text = await readBodyText(res.body);
        return { kind: 'failure', failure: classifyAnthropicError(res.status, text, res.headers, Date.now()) };
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!request.stream || !contentType.includes('text/event-stream')) return await readJson(res, input);
      const firstEventMs = input.timeouts.ttftMs - (Date.now() - res.startedAtMs);
      return { kind: 'stream', items: anthropicStreamItems(res.body, { firstEventMs, idleMs: input.timeouts.idleMs, signal: input.signal }) };
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
  const parsed = anthropicMessage.safeParse(json);
  if (!parsed.success) {
    const streamWanted = input.request.stream ? ' (a JSON body where a stream was asked for)' : '';
    return { kind: 'failure', failure: { outcome: 'server_error', message: `the provider's answer is not a message${streamWanted}`, status: res.status } };
  }
  const response = decodeAnthropicResponse(parsed.data, Math.floor(Date.now() / 1000));
  return input.passthroughBody === undefined || input.request.stream ? { kind: 'json', response } : { kind: 'json', response, raw };
}

export interface StreamReadOptions {
  /** Time left for the first data event. */
  firstEventMs: number;
  idleMs: number;
  signal: AbortSignal;
}

/**
 * The items of one Anthropic stream: data items as events arrive, then exactly one `end` or `failure`.
 * It ends at the stop reason (see the decoder); the reader then drains the terminator off the socket.
 */
export async function* anthropicStreamItems(
  body: Readable,
  options: StreamReadOptions,
  decoder = new AnthropicStreamDecoder(),
): AsyncGenerator<StreamItem, void, undefined> {
  try {
    const reading = { firstEventMs: options.firstEventMs, idleMs: options.idleMs, completed: () => decoder.finished };
    for await (const event of readSseEvents(body, reading)) {
      const decoded = decoder.push(event);
      if (decoded.failure !== undefined) {
        yield { kind: 'failure', failure: decoded.failure };
        return;
      }
      if (decoded.raw !== undefined) yield { kind: 'data', events: decoded.events, raw: decoded.raw };
      if (decoder.finished) {
        yield { kind: 'end' };
        return;
      }
    }
    yield { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended before the answer finished' } };
  } catch (err) {
    yield { kind: 'failure', failure: classifyNetworkFailure(err, options.signal, 'body') };
  }
}
