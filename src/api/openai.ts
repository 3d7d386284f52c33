/**
 * The OpenAI-compatible surface: `POST /v1/chat/completions` (JSON and SSE) and `GET /v1/models`. A
 * request is parsed into the canonical shape, dispatched by the router, and answered in OpenAI's format.
 */
import { KeelError } from '../core/errors.js';
import type { Router } from '../router/router.js';
import { dispatchInput, jsonAnswer, type ApiAnswer, type ApiRequest } from './api-request.js';
import { errorAnswer } from './error-body.js';
import { encodeOpenAIResponse } from './openai/encode-openai-response.js';
import { OpenAIStreamEncoder } from './openai/openai-stream-encoder.js';
import { parseOpenAIRequest } from './openai/parse-openai-request.js';
import { answerDispatch, type Surface } from './stream-answer.js';

/** The surface's answers; made once, not per request (they differ only in whether a stream reports its usage). */
function chatSurface(streamUsage: boolean): Surface {
  return {
    encodeResponse: encodeOpenAIResponse,
    streamEncoder: () => new OpenAIStreamEncoder(streamUsage),
    passthroughEnd: 'data: [DONE]\n\n',
    failure: (failure, requestId) => {
      const { body } = errorAnswer(new KeelError('stream_interrupted', `The answer was interrupted: ${failure.message}`), 'openai', requestId);
      return `data: ${JSON.stringify(body)}\n\n`;
    },
  };
}
const CHAT_SURFACES = { withUsage: chatSurface(true), withoutUsage: chatSurface(false) } as const;

export async function answerChatCompletions(req: ApiRequest, router: Router): Promise<ApiAnswer> {
  const request = parseOpenAIRequest(req.json);
  const result = await router.dispatch(dispatchInput(req, request, 'openai'));
  return answerDispatch(req, result, request.streamUsage ? CHAT_SURFACES.withUsage : CHAT_SURFACES.withoutUsage);
}

/**
 * `GET /v1/models`: the names the caller's key may use, in OpenAI's shape — or in Anthropic's Models API
 * shape for an Anthropic client (it sends `anthropic-version`), whose SDK cannot read OpenAI's.
 */
export function answerListModels(req: ApiRequest, router: Router): ApiAnswer {
  const allowed = req.caller?.models;
  const names = router.modelNames().filter((name) => allowed === undefined || allowed.includes(name));
  if (req.headers['anthropic-version'] !== undefined) {
    const createdAt = new Date(0).toISOString();
    const data = names.map((id) => ({ type: 'model', id, display_name: id, created_at: createdAt }));
    return jsonAnswer(200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  }
  const created = Math.floor(Date.now() / 1000);
  const data = names.map((id) => ({ id, object: 'model', created, owned_by: 'keel' }));
  return jsonAnswer(200, { object: 'list', data });
}
