/**
 * Gemini's native surface, for the `@google/genai` SDK and Gemini CLI pointed at Keel:
 * `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse` and `:countTokens`.
 * The model named in the path is routed like any other, so a Gemini client fails over across providers:
 * a Gemini deployment gets the client's body as is (Google-only features included), any other a
 * translation, whose answer is encoded back as a `GenerateContentResponse`. Token counting goes to the route's first
 * deployment that can count: a Gemini-format one (the body forwarded as is) or an Anthropic-format one
 * (the request translated to Anthropic's count_tokens), and nothing else — another tokenizer's count
 * would be a guess presented as a fact.
 */
import { z } from 'zod';
import type { Deployment } from '../config/resolve-config.js';
import { KeelError } from '../core/errors.js';
import { classifyAnthropicError } from '../providers/anthropic/anthropic-error.js';
import { encodeAnthropicRequest } from '../providers/anthropic/encode-anthropic-request.js';
import { classifyGeminiError } from '../providers/gemini/gemini-error.js';
import type { Router } from '../router/router.js';
import { dispatchInput, jsonAnswer, trailHeaders, type ApiAnswer, type ApiRequest } from './api-request.js';
import { COUNT_TOKENS_PATH, countTokensAnswer } from './count-tokens.js';
import { errorAnswer } from './error-body.js';
import { forwardJson, type PreparedCall } from './forward/forward-json.js';
import { encodeGeminiResponse } from './gemini/encode-gemini-response.js';
import { GeminiStreamEncoder } from './gemini/gemini-stream-encoder.js';
import { parseGeminiRequest } from './gemini/parse-gemini-request.js';
import { answerDispatch, type Surface } from './stream-answer.js';

export type GeminiAction = 'generateContent' | 'streamGenerateContent' | 'countTokens';

const geminiCount = z.looseObject({ totalTokens: z.number().int().nonnegative() });

export async function answerGemini(req: ApiRequest, router: Router, model: string, action: GeminiAction): Promise<ApiAnswer> {
  // The key's model list is checked here: the gate reads `model` from the body, and Gemini's is in the URL.
  const allowed = req.caller?.models;
  if (allowed !== undefined && !allowed.includes(model)) {
    throw new KeelError('forbidden', `This key may not use the model '${model}'; it may use: ${allowed.join(', ')}.`, { param: 'model' });
  }
  if (action === 'countTokens') return answerGeminiCountTokens(req, router, model);
  const request = parseGeminiRequest(req.json, model, action === 'streamGenerateContent');
  const result = await router.dispatch(dispatchInput(req, request, 'gemini'));
  return answerDispatch(req, result, GEMINI_SURFACE);
}

/** The surface's answers, made once (nothing in them is a request's). */
const GEMINI_SURFACE: Surface = {
  encodeResponse: encodeGeminiResponse,
  streamEncoder: () => new GeminiStreamEncoder(),
  passthroughEnd: '',
  failure: (failure, requestId) => {
    const { body } = errorAnswer(new KeelError('stream_interrupted', `The answer was interrupted: ${failure.message}`), 'gemini', requestId);
    return `data: ${JSON.stringify(body)}\n\n`;
  },
};

async function answerGeminiCountTokens(req: ApiRequest, router: Router, model: string): Promise<ApiAnswer> {
  // `{contents}` or `{generateContentRequest: {contents...}}`: both count the same request.
  const json = req.json as Record<string, unknown> | null;
  const inner = json !== null && typeof json === 'object' && typeof json['generateContentRequest'] === 'object' ? json['generateContentRequest'] : json;
  const request = parseGeminiRequest(inner, model, false);
  const route = router.resolve(model);
  const deployments = route.targets.map((t) => t.deployment);
  const candidates = deployments.filter((d) => d.provider === 'gemini' || d.provider === 'anthropic');
  if (candidates.length === 0) {
    throw new KeelError('unsupported_feature', `Token counting needs a Gemini- or Anthropic-format deployment, and the model '${route.name}' has none (${deployments.map((d) => `${d.id}: ${d.provider}`).join(', ')}).`, { param: 'model' });
  }
  const prepare = (d: Deployment): PreparedCall | { failure: { outcome: 'bad_request'; status: number; message: string } } => {
    if (d.provider === 'gemini') {
      const headers: Record<string, string> = d.apiKey === undefined ? {} : { 'x-goog-api-key': d.apiKey };
      return { path: `/v1beta/models/${encodeURIComponent(d.model.replace(/^models\//, ''))}:countTokens`, headers, body: req.body, classifyError: classifyGeminiError };
    }
    const encoded = encodeAnthropicRequest({ ...request, stream: false }, d);
    if (!encoded.ok) return { failure: { outcome: 'bad_request', status: 400, message: encoded.failure.message } };
    const { max_tokens: _max, stream: _stream, ...body } = encoded.body;
    const headers: Record<string, string> = { 'anthropic-version': '2023-06-01', ...(d.apiKey === undefined ? {} : { 'x-api-key': d.apiKey }) };
    return { path: COUNT_TOKENS_PATH, headers, body: Buffer.from(JSON.stringify(body)), classifyError: classifyAnthropicError };
  };
  const forwarded = await forwardJson(req, router, { route: route.name, candidates, prepare, answer: z.union([geminiCount, countTokensAnswer]), clientFormat: 'gemini' });
  // Read once, by the union that validated it: Anthropic's count is `input_tokens`, Gemini's `totalTokens`.
  const { answer } = forwarded;
  const totalTokens = 'input_tokens' in answer ? answer.input_tokens : answer.totalTokens;
  req.trail.route = route.name;
  req.trail.deployment = forwarded.deployment.id;
  req.trail.attempts = forwarded.attempts.length;
  return jsonAnswer(200, { totalTokens }, trailHeaders({ route: route.name, deployment: forwarded.deployment, attempts: forwarded.attempts }));
}
