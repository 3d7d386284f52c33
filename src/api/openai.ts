/**
 * The OpenAI-compatible surface: `POST /v1/chat/completions` (JSON and SSE) and `GET /v1/models`. A
 * request is parsed into the canonical shape, dispatched by the router, and answered in OpenAI's format:
 * the provider's own bytes when the deployment speaks OpenAI too, an encoding of the canonical answer
 * otherwise. A stream that fails after it started ends with an in-stream error, never with `[DONE]`.
 */
import { KeelError } from '../core/errors.js';
import type { Router } from '../router/router.js';
import { errorAnswer } from './error-body.js';
import { dispatchOptions, trailHeaders, type HttpContext } from './http-context.js';
import { encodeOpenAIResponse } from './openai/encode-openai-response.js';
import { OpenAIStreamEncoder } from './openai/openai-stream-encoder.js';
import { parseOpenAIRequest } from './openai/parse-openai-request.js';
import { SSE_HEADERS, writeSse } from '../server/sse-writer.js';

export async function handleChatCompletions(ctx: HttpContext, router: Router): Promise<void> {
  const request = parseOpenAIRequest(ctx.json);
  const result = await router.dispatch({
    request,
    clientFormat: 'openai',
    rawBody: ctx.body,
    requestId: ctx.requestId,
    signal: ctx.signal,
    ...dispatchOptions(ctx),
  });
  ctx.trail.route = result.route;
  ctx.trail.deployment = result.deployment?.id ?? `degraded:${result.degraded ?? ''}`;
  const { res } = ctx;
  try {
    const answer = result.answer;
    if (answer.kind === 'json') {
      ctx.trail.attempts = result.attempts.length;
      const body = answer.raw ?? JSON.stringify(encodeOpenAIResponse(answer.response));
      res.writeHead(200, { ...trailHeaders(result), 'content-type': 'application/json' });
      res.end(body);
      return;
    }
    res.writeHead(200, { ...trailHeaders(result), ...SSE_HEADERS });
    const encoder = new OpenAIStreamEncoder(request.streamUsage);
    for await (const item of answer.items) {
      if (item.kind === 'data') {
        await writeSse(res, result.passthrough && item.raw !== undefined ? item.raw : encoder.encode(item.events));
      } else if (item.kind === 'end') {
        await writeSse(res, result.passthrough ? 'data: [DONE]\n\n' : encoder.finish());
        ctx.trail.outcome = 'ok';
      } else {
        // Headers are long gone: the only honest signal left is an error event, and no [DONE].
        const { body } = errorAnswer(streamFailure(item.failure.message), 'openai', ctx.requestId);
        await writeSse(res, `data: ${JSON.stringify(body)}\n\n`);
        ctx.trail.outcome = item.failure.outcome;
      }
      if (ctx.signal.aborted) break;
    }
    ctx.trail.attempts = result.attempts.length;
    res.end();
  } finally {
    result.done();
  }
}

function streamFailure(message: string): KeelError {
  return new KeelError('stream_interrupted', `The answer was interrupted: ${message}`);
}

export function handleListModels(ctx: HttpContext, router: Router): void {
  const created = Math.floor(Date.now() / 1000);
  const data = router.modelNames().map((id) => ({ id, object: 'model', created, owned_by: 'keel' }));
  ctx.res.writeHead(200, { 'content-type': 'application/json' });
  ctx.res.end(JSON.stringify({ object: 'list', data }));
}
