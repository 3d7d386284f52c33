/**
 * Azure OpenAI, as the simulator serves it: Chat Completions under
 * `/openai/deployments/{deployment}/chat/completions?api-version=...` (the deployment names the model)
 * or the `/openai/v1` surface, a key in `api-key` (or an Entra ID bearer token), and Azure's additions to
 * OpenAI's format: `prompt_filter_results` and per-choice `content_filter_results` in answers, a first
 * stream chunk with no choices that carries only the prompt filter results, and the content-management
 * refusal (`code: content_filter`, `innererror.code: ResponsibleAIPolicyViolation`).
 */
import type { ErrorContext, ErrorReply, FormatCodec, ReplyContext } from './format-codec.js';
import { isRecord } from './json-shape.js';

const SAFE = { filtered: false, severity: 'safe' };
const FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER_RESULTS = [{ prompt_index: 0, content_filter_results: { ...FILTER_RESULTS, jailbreak: { filtered: false, detected: false } } }];

const FILTERED_MESSAGE = "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. "
  + 'Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: '
  + 'https://go.microsoft.com/fwlink/?linkid=2198766';

function azureError(error: ErrorContext, openai: FormatCodec, ctx: ReplyContext): ErrorReply {
  switch (error.kind) {
    case 'content_filter':
      return {
        status: 400,
        headers: {},
        body: {
          error: {
            message: error.message ?? FILTERED_MESSAGE, type: null, param: 'prompt', code: 'content_filter', status: 400,
            innererror: {
              code: 'ResponsibleAIPolicyViolation',
              content_filter_result: { ...FILTER_RESULTS, violence: { filtered: true, severity: 'high' }, jailbreak: { filtered: false, detected: false } },
            },
          },
        },
      };
    case 'auth':
      return {
        status: 401,
        headers: {},
        body: { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' } },
      };
    case 'rate_limit':
      return {
        status: 429,
        headers: { 'retry-after': String(error.retryAfterS ?? 1) },
        body: { error: { code: '429', message: `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${error.retryAfterS ?? 1} second.` } },
      };
    default:
      return openai.errorReply(error, ctx);
  }
}

export function azureCodec(openai: FormatCodec): FormatCodec {
  return {
    ...openai,
    renderJson: (plan, request, ctx) => {
      const body = openai.renderJson(plan, request, ctx);
      if (!isRecord(body) || !Array.isArray(body['choices'])) return body;
      const choices = body['choices'].map((choice: unknown) => (isRecord(choice) ? { ...choice, content_filter_results: FILTER_RESULTS } : choice));
      return { ...body, choices, prompt_filter_results: PROMPT_FILTER_RESULTS };
    },
    renderStream: (plan, request, ctx) => [
      { data: { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER_RESULTS } },
      ...openai.renderStream(plan, request, ctx),
    ],
    errorReply: (error, ctx) => azureError(error, openai, ctx),
    responseHeaders: (ctx) => ({ 'apim-request-id': ctx.newId(''), 'x-ms-region': 'East US' }),
  };
}
