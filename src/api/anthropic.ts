/**
 * The Anthropic-compatible surface: `POST /v1/messages` (JSON and SSE). A request is parsed into the
 * canonical shape, dispatched by the router, and answered in Anthropic's format: the provider's own bytes
 * when the deployment speaks Anthropic too, an encoding of the canonical answer otherwise. A stream that
 * fails after it started ends with an `error` event, never with `message_stop`.
 *
 * Clients authenticate with `x-api-key` (the SDK's default) or `Authorization: Bearer`; Keel has no
 * virtual keys yet, so neither is checked here, and neither is forwarded (deployments use their own keys).
 */
import { KeelError } from '../core/errors.js';
import type { FailureOutcome, UpstreamFailure } from '../providers/types.js';
import type { Router } from '../router/router.js';
import { AnthropicStreamEncoder, anthropicFrame } from './anthropic/anthropic-stream-encoder.js';
import { encodeAnthropicResponse } from './anthropic/encode-anthropic-response.js';
import { parseAnthropicRequest } from './anthropic/parse-anthropic-request.js';
import { errorAnswer } from './error-body.js';
import { dispatchOptions, trailHeaders, type HttpContext } from './http-context.js';
import { streamAnswer } from './stream-answer.js';

/** Anthropic clients treat `overloaded_error` as "try again shortly"; any other break is an `api_error`. */
function streamErrorType(outcome: FailureOutcome): string {
  return outcome === 'overloaded' || outcome === 'rate_limited' ? 'overloaded_error' : 'api_error';
}

function streamFailureFrame(failure: UpstreamFailure, requestId: string): string {
  const error = new KeelError('stream_interrupted', `The answer was interrupted: ${failure.message}`, { upstreamType: streamErrorType(failure.outcome) });
  const { body } = errorAnswer(error, 'anthropic', requestId);
  return anthropicFrame(body as { type: string });
}

export async function handleMessages(ctx: HttpContext, router: Router): Promise<void> {
  const request = parseAnthropicRequest(ctx.json);
  const result = await router.dispatch({
    request,
    clientFormat: 'anthropic',
    rawBody: ctx.body,
    requestId: ctx.requestId,
    signal: ctx.signal,
    ...dispatchOptions(ctx),
  });
  ctx.trail.route = result.route;
  ctx.trail.deployment = result.deployment?.id ?? `degraded:${result.degraded ?? ''}`;
  try {
    const answer = result.answer;
    if (answer.kind === 'json') {
      ctx.trail.attempts = result.attempts.length;
      const body = answer.raw ?? JSON.stringify(encodeAnthropicResponse(answer.response));
      ctx.res.writeHead(200, { ...trailHeaders(result), 'content-type': 'application/json' });
      ctx.res.end(body);
      return;
    }
    const encoder = new AnthropicStreamEncoder(request.model);
    await streamAnswer(ctx, result, answer.items, {
      encode: (events) => encoder.encode(events),
      finish: () => encoder.finish(),
      passthroughEnd: anthropicFrame({ type: 'message_stop' }),
      failure: (failure) => streamFailureFrame(failure, ctx.requestId),
    });
  } finally {
    result.done();
  }
}
