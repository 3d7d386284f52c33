/**
 * `POST /v1/embeddings`, OpenAI's shape, forwarded as is (model swapped) to the route's deployments that
 * declare `capabilities.embedding_model`. Vectors from different models live in different spaces — a
 * search index built with one cannot be queried with another — so a request fails over only between
 * deployments declaring the same embedding model as the first one it tries; the others are not asked.
 */
import { z } from 'zod';
import type { Deployment } from '../config/resolve-config.js';
import { KeelError } from '../core/errors.js';
import { classifyOpenAIError } from '../providers/openai/openai-error.js';
import type { Router } from '../router/router.js';
import { jsonAnswer, trailHeaders, type ApiAnswer, type ApiRequest } from './api-request.js';
import { forwardJson, passthroughCall } from './forward/forward-json.js';
import { validationError } from './validation-error.js';

/** Providers whose embeddings endpoint speaks OpenAI's shape. */
const EMBEDDING_PROVIDERS: ReadonlySet<string> = new Set(['openai', 'openai-compatible']);

const embeddingsRequest = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int().nonnegative()).min(1),
    z.array(z.array(z.number().int().nonnegative()).min(1)).min(1),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

const embeddingsAnswer = z.looseObject({
  data: z.array(z.looseObject({ embedding: z.union([z.array(z.number()), z.string()]), index: z.number().int() })),
  // What is charged to the caller's key. An answer without it (or with another shape) is still an answer.
  usage: z.looseObject({ prompt_tokens: z.number().int().nonnegative() }).optional().catch(undefined),
});

/** The deployments that may answer, in order: those serving the same embedding model as the first. */
function candidatesOf(deployments: Deployment[], route: string): { candidates: Deployment[]; refusals: string[] } {
  const refusals: string[] = [];
  const serving = deployments.filter((d) => {
    if (d.capabilities.embeddingModel !== undefined && EMBEDDING_PROVIDERS.has(d.provider)) return true;
    refusals.push(`${d.id}: no embedding_model declared${EMBEDDING_PROVIDERS.has(d.provider) ? '' : ` (and ${d.provider} has no OpenAI-shaped embeddings endpoint)`}`);
    return false;
  });
  const family = serving[0]?.capabilities.embeddingModel;
  if (family === undefined) {
    throw new KeelError('unsupported_feature', `The model '${route}' has no embeddings deployment: declare capabilities.embedding_model on an openai or openai-compatible deployment of it (${refusals.join('; ')}).`, { param: 'model' });
  }
  const candidates = serving.filter((d) => {
    if (d.capabilities.embeddingModel === family) return true;
    refusals.push(`${d.id}: serves ${d.capabilities.embeddingModel ?? ''}, not ${family}`);
    return false;
  });
  return { candidates, refusals };
}

export async function answerEmbeddings(req: ApiRequest, router: Router): Promise<ApiAnswer> {
  if (req.json === null || typeof req.json !== 'object' || Array.isArray(req.json)) {
    throw new KeelError('invalid_request', 'The request body must be a JSON object.', { param: 'body' });
  }
  const parsed = embeddingsRequest.safeParse(req.json);
  if (!parsed.success) throw validationError(parsed.error, req.json);
  const route = router.resolve(parsed.data.model);
  const { candidates, refusals } = candidatesOf(route.targets.map((t) => t.deployment), route.name);
  const forwarded = await forwardJson(req, router, {
    route: route.name,
    candidates,
    refusals,
    prepare: (d) => passthroughCall(req, d, { path: '/embeddings', headers: d.apiKey === undefined ? {} : { authorization: `Bearer ${d.apiKey}` }, classifyError: classifyOpenAIError }),
    answer: embeddingsAnswer,
    clientFormat: 'openai',
    // Its input tokens, priced as the deployment's input.
    usageOf: (answer) => (answer.usage === undefined ? undefined : { inputTokens: answer.usage.prompt_tokens, outputTokens: 0 }),
  });
  req.trail.route = route.name;
  req.trail.deployment = forwarded.deployment.id;
  req.trail.attempts = forwarded.attempts.length;
  return jsonAnswer(200, forwarded.body, trailHeaders({ route: route.name, deployment: forwarded.deployment, attempts: forwarded.attempts }));
}
