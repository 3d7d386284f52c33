/**
 * The OpenAI-compatible surface: `POST /v1/chat/completions` (JSON and SSE) and `GET /v1/models`. A
 * request is parsed into the canonical shape, dispatched by the router, and answered in OpenAI's format.
 */
import { KeelError } from '../core/errors.js';
import type { Router } from '../router/router.js';
import { dispatchOptions, jsonAnswer, type ApiAnswer, type ApiRequest } from './api-request.js';
import { errorAnswer } from './error-body.js';
import { encodeOpenAIResponse } from './openai/encode-openai-response.js';
import { OpenAIStreamEncoder } from './openai/openai-stream-encoder.js';
import { parseOpenAIRequest } from './openai/parse-openai-request.js';
import { answerDispatch } from './stream-answer.js';

export async function answerChatCompletions(req: ApiRequest, router: Router): Promise<ApiAnswer> {
  const request = parseOpenAIRequest(req.json);
  const result = await router.dispatch({ request, clientFormat: 'openai', ...dispatchOptions(req) });
  return answerDispatch(req, result, {
    encodeResponse: encodeOpenAIResponse,
    streamEncoder: () => new OpenAIStreamEncoder(request.streamUsage),
    passthroughEnd: 'data: [DONE]\n\n',
    failure: (failure, requestId) => {
      const { body } = errorAnswer(new KeelError('stream_interrupted', `The answer was interrupted: ${failure.message}`), 'openai', requestId);
      return `data: ${JSON.stringify(body)}\n\n`;
    },
  });
}

export function answerListModels(router: Router): ApiAnswer {
  const created = Math.floor(Date.now() / 1000);
  const data = router.modelNames().map((id) => ({ id, object: 'model', created, owned_by: 'keel' }));
  return jsonAnswer(200, { object: 'list', data });
}
