/**
 * The `anthropic` provider: one attempt against a Messages endpoint. A same-format client's body goes out
 * as the client sent it (model swapped), so fields Keel does not model (`cache_control`, beta features)
 * survive; any other client's request is translated, or refused by name when Anthropic cannot express
 * it. Stream events come back both decoded (for translation, health and usage) and verbatim, pings
 * included (for forwarding).
 */
import type { Readable } from 'node:stream';
import type { AttemptInput, AttemptResult, Provider, StreamItem } from '../types.js';
import { readSseItems } from '../http/sse-items.js';
import { exchange, readJsonAnswer, type StreamReadOptions } from '../http/exchange.js';
import type { UpstreamResponse } from '../http/upstream-request.js';
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
    if (input.passthroughBody !== undefined) Object.assign(headers, request.protocolHeaders);
    if (deployment.apiKey !== undefined) headers['x-api-key'] = deployment.apiKey;
    return exchange(input, {
      path: '/v1/messages',
      headers,
      body,
      classifyError: classifyAnthropicError,
      readJson: (res) => readAnthropicAnswer(res, input),
      readStream: anthropicStreamItems,
    });
  }
}


/**
 * Reads an Anthropic `message` answer (from Anthropic, Bedrock or Vertex); for a same-format client the
 * provider's bytes are kept, to be forwarded as they are.
 */
export async function readAnthropicAnswer(res: UpstreamResponse, input: AttemptInput): Promise<AttemptResult> {
  const read = await readJsonAnswer(res, anthropicMessage, 'a message', input.request.stream);
  if (!read.ok) return { kind: 'failure', failure: read.failure };
  const response = decodeAnthropicResponse(read.json, Math.floor(Date.now() / 1000));
  return input.passthroughBody === undefined || input.request.stream ? { kind: 'json', response } : { kind: 'json', response, raw: read.raw };
}

/**
 * The items of one Anthropic stream: data items as events arrive, then exactly one `end` or `failure`.
 * It ends at the stop reason (see the decoder); the reader then drains the terminator off the socket.
 */
export function anthropicStreamItems(
  body: Readable,
  options: StreamReadOptions,
  decoder = new AnthropicStreamDecoder(),
): AsyncGenerator<StreamItem, void, undefined> {
  return readSseItems(body, options, decoder);
}
