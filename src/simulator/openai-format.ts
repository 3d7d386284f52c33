/**
 * OpenAI Chat Completions on the wire: `chat.completion` bodies, `chat.completion.chunk` streams ending
 * in `data: [DONE]` (with the `choices: []` usage chunk when asked), streamed tool calls (a header delta,
 * then argument fragments), and the `{error: {message, type, param, code}}` error shape with the
 * messages and rate-limit headers the real API sends.
 */
import type { ErrorContext, ErrorReply, FormatCodec, ReplyContext } from './format-codec.js';
import { readOpenAIRequest } from './openai-request.js';
import { splitArgs, type FinishKind, type NeutralRequest, type ReplyPlan } from './reply-plan.js';
import type { SseFrame } from './sse-writer.js';

const FINISH_REASON: Record<FinishKind, string> = {
  stop: 'stop',
  stop_sequence: 'stop',
  length: 'length',
  tool_calls: 'tool_calls',
};

const FINGERPRINT = 'fp_keelsim';

function usage(plan: ReplyPlan): Record<string, unknown> {
  return {
    prompt_tokens: plan.inputTokens,
    completion_tokens: plan.outputTokens,
    total_tokens: plan.inputTokens + plan.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0,
    },
  };
}

interface OpenAIErrorFields {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const OVERLOADED = 'The engine is currently overloaded, please try again later.';
const SERVER_ERROR = 'The server had an error while processing your request. Sorry about that!';

function errorFields(error: ErrorContext): OpenAIErrorFields {
  const { status, model } = error;
  switch (error.kind) {
    case 'rate_limit':
      return {
        status,
        message: `Rate limit reached for ${model} in organization org-keelsim on requests per min (RPM): `
          + `Limit 500, Used 500, Requested 1. Please try again in ${error.retryAfterS ?? 1}s. `
          + 'Visit https://platform.openai.com/account/rate-limits to learn more.',
        type: 'requests', param: null, code: 'rate_limit_exceeded',
      };
    case 'overloaded':
    case 'unavailable':
      return { status, message: OVERLOADED, type: 'server_error', param: null, code: null };
    case 'server_error':
      return { status, message: SERVER_ERROR, type: 'server_error', param: null, code: null };
    case 'timeout':
      return { status, message: 'Request timed out.', type: 'server_error', param: null, code: 'timeout' };
    case 'context_length':
      return {
        status,
        message: `This model's maximum context length is ${error.contextWindow ?? 128000} tokens. However, your `
          + `messages resulted in ${error.inputTokens ?? 130000} tokens. Please reduce the length of the messages.`,
        type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded',
      };
    case 'content_filter':
      return {
        status,
        message: 'Your request was rejected as a result of our safety system. Your prompt may contain text '
          + 'that is not allowed by our safety system.',
        type: 'invalid_request_error', param: null, code: 'content_policy_violation',
      };
    case 'auth':
      return status === 403
        ? { status, message: 'You are not allowed to sample from this model', type: 'invalid_request_error', param: null, code: null }
        : {
            status,
            message: 'Incorrect API key provided: sk-sim****. You can find your API key at '
              + 'https://platform.openai.com/account/api-keys.',
            type: 'invalid_request_error', param: null, code: 'invalid_api_key',
          };
    case 'not_found':
      return {
        status,
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
        type: 'invalid_request_error', param: null, code: 'model_not_found',
      };
    case 'bad_request':
      return { status, message: 'Invalid request.', type: 'invalid_request_error', param: null, code: null };
  }
}

function errorReply(error: ErrorContext): ErrorReply {
  const fields = errorFields(error);
  const headers: Record<string, string> = {};
  if (error.kind === 'rate_limit') {
    const resetS = error.retryAfterS ?? 1;
    Object.assign(headers, {
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': `${resetS}s`,
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': `${resetS}s`,
    });
  }
  const body = {
    error: {
      message: error.message ?? fields.message,
      type: fields.type,
      param: error.param !== undefined ? error.param : fields.param,
      code: fields.code,
    },
  };
  return { status: fields.status, headers, body };
}

function renderJson(plan: ReplyPlan, _request: NeutralRequest, ctx: ReplyContext): unknown {
  const toolCalls = plan.toolCalls.map((call) => ({
    id: ctx.newId('call_'),
    type: 'function',
    function: { name: call.name, arguments: call.argsJson },
  }));
  return {
    id: ctx.newId('chatcmpl-'),
    object: 'chat.completion',
    created: ctx.createdS,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 ? null : plan.text,
          refusal: null,
          annotations: [],
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: FINISH_REASON[plan.finish],
      },
    ],
    usage: usage(plan),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
}

function renderStream(plan: ReplyPlan, request: NeutralRequest, ctx: ReplyContext): SseFrame[] {
  const base = {
    id: ctx.newId('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: ctx.createdS,
    model: ctx.model,
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
  // With include_usage every chunk carries `usage: null` until the final usage chunk, as the API does.
  const usageNull = request.streamUsage ? { usage: null } : {};
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): Record<string, unknown> => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...usageNull,
  });

  const frames: SseFrame[] = [];
  plan.toolCalls.forEach((call, index) => {
    const header = { index, id: ctx.newId('call_'), type: 'function', function: { name: call.name, arguments: '' } };
    const first = index === 0 ? { role: 'assistant', content: null } : {};
    frames.push({ data: chunk({ ...first, tool_calls: [header] }) });
    for (const piece of splitArgs(call.argsJson)) {
      frames.push({ data: chunk({ tool_calls: [{ index, function: { arguments: piece } }] }), token: true });
    }
  });
  if (plan.toolCalls.length === 0 && plan.tokens.length === 0) {
    frames.push({ data: chunk({ role: 'assistant', content: '' }) });
  }
  plan.tokens.forEach((token, index) => {
    const delta = index === 0 ? { role: 'assistant', content: token } : { content: token };
    frames.push({ data: chunk(delta), token: true });
  });
  frames.push({ data: chunk({}, FINISH_REASON[plan.finish]), tail: true });
  if (request.streamUsage) frames.push({ data: { ...base, choices: [], usage: usage(plan) }, tail: true });
  frames.push({ data: '[DONE]', tail: true, terminal: true });
  return frames;
}

export const openaiCodec: FormatCodec = {
  format: 'openai',
  sseContentType: 'text/event-stream; charset=utf-8',
  readRequest: (body, target) => readOpenAIRequest(body, target),
  renderJson,
  renderStream,
  streamError: (kind) => ({
    data: {
      error: {
        message: kind === 'overloaded' ? OVERLOADED : SERVER_ERROR,
        type: 'server_error',
        param: null,
        code: null,
      },
    },
  }),
  malformedEvent: 'data: {"choices": [\n\n',
  errorReply,
  responseHeaders: (ctx) => ({
    'x-request-id': ctx.newId('req_'),
    'openai-processing-ms': '1',
    'openai-version': '2020-10-01',
  }),
  listModels: (names) => ({
    object: 'list',
    data: names.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'keel-simulator' })),
  }),
};
