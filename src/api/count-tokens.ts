/**
 * `POST /v1/messages/count_tokens`, Anthropic's token counter (Claude Code calls it before each turn):
 * forwarded as is (model swapped, `anthropic-version` and `anthropic-beta` as the client sent them) to
 * the route's Anthropic-format deployments, failing over between them. Only Anthropic can count for
 * Anthropic: a route without an Anthropic-format deployment is refused with a 400 naming the route,
 * rather than answered with another tokenizer's guess.
 */
import { z } from 'zod';
import { KeelError } from '../core/errors.js';
import { classifyAnthropicError } from '../providers/anthropic/anthropic-error.js';
import type { Router } from '../router/router.js';
import { anthropicProtocolHeaders } from './anthropic.js';
import { parseAnthropicRequest } from './anthropic/parse-anthropic-request.js';
import { jsonAnswer, trailHeaders, type ApiAnswer, type ApiRequest } from './api-request.js';
import { forwardJson, passthroughCall } from './forward/forward-json.js';

const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';
export const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';

export const countTokensAnswer = z.looseObject({ input_tokens: z.number().int().nonnegative() });


export async function answerCountTokens(req: ApiRequest, router: Router): Promise<ApiAnswer> {
  // The same validation as a message (naming the field), less the `max_tokens` a count does not take.
  const json = req.json !== null && typeof req.json === 'object' && !Array.isArray(req.json) ? { max_tokens: 1, ...req.json } : req.json;
  const request = parseAnthropicRequest(json);
  const route = router.resolve(request.model);
  const deployments = route.targets.map((t) => t.deployment);
  const candidates = deployments.filter((d) => d.provider === 'anthropic');
  if (candidates.length === 0) {
    throw new KeelError('unsupported_feature', `Token counting needs an Anthropic-format deployment, and the model '${route.name}' has none (${deployments.map((d) => `${d.id}: ${d.provider}`).join(', ')}).`, { param: 'model' });
  }
  const headers = { 'anthropic-version': DEFAULT_ANTHROPIC_VERSION, ...anthropicProtocolHeaders(req) };
  const forwarded = await forwardJson(req, router, {
    route: route.name,
    candidates,
    prepare: (d) => passthroughCall(req, d, { path: COUNT_TOKENS_PATH, headers: d.apiKey === undefined ? headers : { ...headers, 'x-api-key': d.apiKey }, classifyError: classifyAnthropicError }),
    answer: countTokensAnswer,
    clientFormat: 'anthropic',
  });
  req.trail.route = route.name;
  req.trail.deployment = forwarded.deployment.id;
  req.trail.attempts = forwarded.attempts.length;
  return jsonAnswer(200, forwarded.body, trailHeaders({ route: route.name, deployment: forwarded.deployment, attempts: forwarded.attempts }));
}
