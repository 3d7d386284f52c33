/**
 * Gemini `generateContent` on the wire: `GenerateContentResponse` bodies, `alt=sse` streams of whole
 * responses (no terminator; the last carries `finishReason` and `usageMetadata`), function calls as whole
 * `functionCall` parts, `{error: {code, message, status}}` errors, and content filtering reported the
 * Gemini way: a 200 whose candidate finished with `SAFETY`.
 */
import type { ErrorContext, ErrorReply, FormatCodec, ReplyContext } from './format-codec.js';
import { readGeminiRequest } from './gemini-request.js';
import type { FinishKind, NeutralRequest, ReplyPlan } from './reply-plan.js';
import type { SseFrame } from './sse-writer.js';

const FINISH_REASON: Record<FinishKind, string> = {
  stop: 'STOP',
  stop_sequence: 'STOP',
  tool_calls: 'STOP',
  length: 'MAX_TOKENS',
};

/** google.rpc.Code names by HTTP status, as Google APIs map them. */
const STATUS_NAME: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function statusName(status: number): string {
  return STATUS_NAME[status] ?? (status >= 500 ? (status === 529 ? 'UNAVAILABLE' : 'INTERNAL') : 'FAILED_PRECONDITION');
}

function usageMetadata(plan: ReplyPlan): Record<string, unknown> {
  return {
    promptTokenCount: plan.inputTokens,
    candidatesTokenCount: plan.outputTokens,
    totalTokenCount: plan.inputTokens + plan.outputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: plan.inputTokens }],
  };
}

function response(ctx: ReplyContext, responseId: string, candidate: Record<string, unknown>, usage?: unknown): unknown {
  return {
    candidates: [{ ...candidate, index: 0 }],
    ...(usage === undefined ? {} : { usageMetadata: usage }),
    modelVersion: ctx.model,
    responseId,
  };
}

function renderJson(plan: ReplyPlan, _request: NeutralRequest, ctx: ReplyContext): unknown {
  const parts = plan.toolCalls.length > 0
    ? plan.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.args } }))
    : [{ text: plan.text }];
  return response(
    ctx,
    ctx.newId(''),
    { content: { role: 'model', parts }, finishReason: FINISH_REASON[plan.finish] },
    usageMetadata(plan),
  );
}

function renderStream(plan: ReplyPlan, _request: NeutralRequest, ctx: ReplyContext): SseFrame[] {
  const responseId = ctx.newId('');
  // Every chunk counts the prompt, as Gemini's do; the output count comes with the closing chunk.
  const promptOnly = { promptTokenCount: plan.inputTokens, totalTokenCount: plan.inputTokens };
  const chunk = (parts: unknown[]): unknown => response(ctx, responseId, { content: { role: 'model', parts } }, promptOnly);
  const frames: SseFrame[] = plan.tokens.map((token) => ({ data: chunk([{ text: token }]), token: true }));
  if (plan.toolCalls.length > 0) {
    const parts = plan.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.args } }));
    frames.push({ data: chunk(parts), token: true });
  }
  // The closing chunk carries no new text, so a dropped closing chunk (missing_done) loses no content.
  frames.push({
    data: response(
      ctx,
      responseId,
      { content: { role: 'model', parts: [{ text: '' }] }, finishReason: FINISH_REASON[plan.finish] },
      usageMetadata(plan),
    ),
    tail: true,
    terminal: true,
  });
  return frames;
}

function errorMessage(error: ErrorContext): string {
  switch (error.kind) {
    case 'rate_limit':
      return 'Resource has been exhausted (e.g. check quota).';
    case 'overloaded':
    case 'unavailable':
      return 'The model is overloaded. Please try again later.';
    case 'server_error':
      return 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting';
    case 'timeout':
      return 'Deadline expired before operation could complete.';
    case 'context_length':
      return `The input token count (${error.inputTokens ?? 1048577}) exceeds the maximum number of tokens allowed (${error.contextWindow ?? 1048576}).`;
    case 'content_filter':
      return 'The request was blocked due to safety reasons.';
    case 'auth':
      return error.status === 403 ? 'The caller does not have permission' : 'API key not valid. Please pass a valid API key.';
    case 'not_found':
      return `models/${error.model} is not found for API version v1beta, or is not supported for generateContent. `
        + 'Call ListModels to see the list of available models and their supported methods.';
    case 'bad_request':
      return 'Request contains an invalid argument.';
  }
}

function errorReply(error: ErrorContext): ErrorReply {
  const details = error.kind === 'rate_limit' && error.retryAfterS !== undefined
    ? { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${error.retryAfterS}s` }] }
    : {};
  return {
    status: error.status,
    headers: {},
    body: {
      error: { code: error.status, message: error.message ?? errorMessage(error), status: statusName(error.status), ...details },
    },
  };
}

const SAFETY_RATINGS = [
  { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
  { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
  { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
];

export const geminiCodec: FormatCodec = {
  format: 'gemini',
  sseContentType: 'text/event-stream',
  readRequest: (body, target) => readGeminiRequest(body, target),
  renderJson,
  renderStream,
  streamError: (kind) => {
    const status = kind === 'overloaded' ? 503 : 500;
    return { data: errorReply({ model: '', status, kind }).body };
  },
  malformedEvent: 'data: {"candidates": [\n\n',
  errorReply,
  responseHeaders: () => ({}),
  safetyBlock: (promptTokenCount, ctx) =>
    response(
      ctx,
      ctx.newId(''),
      { finishReason: 'SAFETY', safetyRatings: SAFETY_RATINGS },
      { promptTokenCount, totalTokenCount: promptTokenCount },
    ),
  listModels: (names) => ({
    models: names.map((name) => ({
      name: `models/${name}`,
      version: '001',
      displayName: name,
      supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
    })),
  }),
};
