/**
 * One attempt against OpenAI's own Responses API (`/v1/responses`), for a Responses client's body handed
 * to an `openai` deployment as is (model swapped). The answer comes back as the provider's bytes — the
 * JSON body, or every stream event as it arrives — with the decoded view beside them, so the router
 * judges the stream (first content, how it ended) exactly as it judges a chat stream.
 */
import type { AttemptInput, AttemptResult } from '../types.js';
import { exchange, readJsonAnswer } from '../http/exchange.js';
import { readSseItems } from '../http/sse-items.js';
import { classifyOpenAIError } from './openai-error.js';
import { OpenAIResponsesStreamDecoder } from './openai-responses-stream-decoder.js';
import { decodeOpenAIResponsesResponse, openaiResponsesResponse } from './openai-responses-wire.js';

export function sendOpenAIResponses(input: AttemptInput & { passthroughBody: Buffer }, headers: Record<string, string>): Promise<AttemptResult> {
  const { request } = input;
  return exchange(input, {
    path: '/responses',
    headers,
    body: input.passthroughBody,
    classifyError: classifyOpenAIError,
    readJson: async (res) => {
      const read = await readJsonAnswer(res, openaiResponsesResponse, 'a Responses API response', request.stream);
      if (!read.ok) return { kind: 'failure', failure: read.failure };
      if (read.json.status === 'failed') {
        return { kind: 'failure', failure: { outcome: 'server_error', message: read.json.error?.message ?? 'the provider reported the response failed', status: res.status } };
      }
      const response = decodeOpenAIResponsesResponse(read.json, Math.floor(Date.now() / 1000));
      return request.stream ? { kind: 'json', response } : { kind: 'json', response, raw: read.raw };
    },
    readStream: (stream, options) => readSseItems(stream, options, new OpenAIResponsesStreamDecoder()),
  });
}
