/**
 * The Anthropic-compatible surface: `POST /v1/messages` (JSON and SSE). A request is parsed into the
 * canonical shape, dispatched by the router, and answered in Anthropic's format: the provider's own bytes
 * when the deployment speaks Anthropic too, an encoding of the canonical answer otherwise. A stream that
 * fails after it started ends with an `error` event, never with `message_stop`.
 *
 * Clients authenticate with `x-api-key` (the SDK's default) or `Authorization: Bearer`: the request gate
 * checks the virtual key before this runs, and neither header is forwarded (deployments use their own keys).
 * `anthropic-version` and `anthropic-beta` are forwarded unchanged to an Anthropic deployment answering
 * through pass-through (Claude Code opts into betas that change what its body means).
 */
import { KeelError } from '../core/errors.js';
import type { FailureOutcome, UpstreamFailure } from '../providers/types.js';
import type { Router } from '../router/router.js';
import { AnthropicStreamEncoder, anthropicFrame } from './anthropic/anthropic-stream-encoder.js';
import { encodeAnthropicResponse } from './anthropic/encode-anthropic-response.js';
import { parseAnthropicRequest } from './anthropic/parse-anthropic-request.js';
import { errorAnswer } from './error-body.js';
import { dispatchInput, type ApiAnswer, type ApiRequest } from './api-request.js';
import { answerDispatch } from './stream-answer.js';

/** Anthropic clients treat `overloaded_error` as "try again shortly"; any other break is an `api_error`. */
function streamErrorType(outcome: FailureOutcome): string {
  return outcome === 'overloaded' || outcome === 'rate_limited' ? 'overloaded_error' : 'api_error';
}

function streamFailureFrame(failure: UpstreamFailure, requestId: string): string {
  const error = new KeelError('stream_interrupted', `The answer was interrupted: ${failure.message}`, { upstreamType: streamErrorType(failure.outcome) });
  const { body } = errorAnswer(error, 'anthropic', requestId);
  return anthropicFrame(body as { type: string });
}

/** The client's `anthropic-version` and `anthropic-beta`, for a pass-through to Anthropic. */
export function anthropicProtocolHeaders(req: ApiRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['anthropic-version', 'anthropic-beta']) {
    const value = req.headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

export async function answerMessages(req: ApiRequest, router: Router): Promise<ApiAnswer> {
  const request = parseAnthropicRequest(req.json);
  request.protocolHeaders = anthropicProtocolHeaders(req);
  const result = await router.dispatch(dispatchInput(req, request, 'anthropic'));
  // The closures below outlive this call (as long as the stream): they hold a name, never the prompt.
  const model = request.model;
  return answerDispatch(req, result, {
    encodeResponse: encodeAnthropicResponse,
    streamEncoder: () => new AnthropicStreamEncoder(model),
    passthroughEnd: anthropicFrame({ type: 'message_stop' }),
    failure: streamFailureFrame,
  });
}
