/**
 * OpenAI's Responses API on the wire (`POST /v1/responses`), upstream side: `response` bodies with
 * `message` and `function_call` output items, and named SSE streams — `response.created`,
 * `response.in_progress`, per item `output_item.added`, content part, deltas, `.done` events,
 * `output_item.done`, then `response.completed` (or `response.incomplete`) with usage — every event with
 * its `sequence_number`. Errors are OpenAI's `{error: {...}}` shape, as for Chat Completions; a failure
 * mid-stream is an `error` event. Written from OpenAI's documentation, independently of Keel's encoder.
 */
import type { FormatCodec, ReplyContext } from './format-codec.js';
import { openaiCodec } from './openai-format.js';
import { splitArgs, type NeutralRequest, type ReplyPlan } from './reply-plan.js';
import { readResponsesRequest } from './responses-request.js';
import type { SseFrame } from './sse-writer.js';

type Json = Record<string, unknown>;

function usage(plan: ReplyPlan): Json {
  return {
    input_tokens: plan.inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: plan.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: plan.inputTokens + plan.outputTokens,
  };
}

/** The output items of a plan, with their ids decided once so JSON and stream agree. */
function outputItems(plan: ReplyPlan, ctx: ReplyContext): Json[] {
  if (plan.toolCalls.length > 0) {
    return plan.toolCalls.map((call) => ({
      id: ctx.newId('fc_'), type: 'function_call', status: 'completed', arguments: call.argsJson, call_id: ctx.newId('call_'), name: call.name,
    }));
  }
  return [{
    id: ctx.newId('msg_'), type: 'message', status: 'completed', role: 'assistant',
    content: [{ type: 'output_text', annotations: [], logprobs: [], text: plan.text }],
  }];
}

function responseBody(id: string, status: string, output: Json[], plan: ReplyPlan | null, request: NeutralRequest, ctx: ReplyContext): Json {
  const echo = request.echo ?? {};
  return {
    id, object: 'response', created_at: ctx.createdS, status, background: false, error: null,
    incomplete_details: status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: echo['instructions'] ?? null, max_output_tokens: request.maxTokens, model: ctx.model, output,
    parallel_tool_calls: echo['parallel_tool_calls'] ?? true, previous_response_id: null,
    reasoning: { effort: null, summary: null }, service_tier: 'default', store: echo['store'] ?? true,
    temperature: echo['temperature'] ?? 1, text: echo['text'] ?? { format: { type: 'text' } },
    tool_choice: echo['tool_choice'] ?? 'auto', tools: echo['tools'] ?? [], top_p: echo['top_p'] ?? 1,
    truncation: 'disabled', usage: plan === null ? null : usage(plan), user: null, metadata: echo['metadata'] ?? {},
  };
}

function statusOf(plan: ReplyPlan): string {
  return plan.finish === 'length' ? 'incomplete' : 'completed';
}

function renderJson(plan: ReplyPlan, request: NeutralRequest, ctx: ReplyContext): unknown {
  return responseBody(ctx.newId('resp_'), statusOf(plan), outputItems(plan, ctx), plan, request, ctx);
}

function renderStream(plan: ReplyPlan, request: NeutralRequest, ctx: ReplyContext): SseFrame[] {
  const frames: SseFrame[] = [];
  let sequence = 0;
  const push = (type: string, body: Json, tag: Partial<SseFrame> = {}): void => {
    frames.push({ event: type, data: { type, ...body, sequence_number: sequence++ }, ...tag });
  };
  const id = ctx.newId('resp_');
  const items = outputItems(plan, ctx);
  push('response.created', { response: responseBody(id, 'in_progress', [], null, request, ctx) });
  push('response.in_progress', { response: responseBody(id, 'in_progress', [], null, request, ctx) });
  items.forEach((item, index) => {
    const at = { output_index: index };
    const itemId = item['id'] as string;
    if (item['type'] === 'function_call') {
      push('response.output_item.added', { ...at, item: { ...item, arguments: '', status: 'in_progress' } });
      for (const piece of splitArgs(item['arguments'] as string)) {
        push('response.function_call_arguments.delta', { item_id: itemId, ...at, delta: piece }, { token: true });
      }
      push('response.function_call_arguments.done', { item_id: itemId, ...at, name: item['name'], arguments: item['arguments'] }, { tail: true });
    } else {
      push('response.output_item.added', { ...at, item: { ...item, status: 'in_progress', content: [] } });
      push('response.content_part.added', { item_id: itemId, ...at, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
      for (const token of plan.tokens) push('response.output_text.delta', { item_id: itemId, ...at, content_index: 0, delta: token, logprobs: [] }, { token: true });
      push('response.output_text.done', { item_id: itemId, ...at, content_index: 0, text: plan.text, logprobs: [] }, { tail: true });
      push('response.content_part.done', { item_id: itemId, ...at, content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: plan.text } }, { tail: true });
    }
    push('response.output_item.done', { ...at, item }, { tail: true });
  });
  const status = statusOf(plan);
  push(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: responseBody(id, status, items, plan, request, ctx) }, { tail: true, terminal: true });
  return frames;
}

export const responsesCodec: FormatCodec = {
  format: 'openai',
  sseContentType: 'text/event-stream; charset=utf-8',
  readRequest: (body, target) => readResponsesRequest(body, target),
  renderJson,
  renderStream,
  streamError: (kind) => ({
    event: 'error',
    data: {
      type: 'error',
      code: kind === 'overloaded' ? 'server_is_overloaded' : 'server_error',
      message: kind === 'overloaded' ? 'The server is overloaded, please try again later.' : 'The server had an error while processing your request. Sorry about that!',
      param: null,
      sequence_number: 2,
    },
  }),
  malformedEvent: 'event: response.output_text.delta\ndata: {"type": "response.output_text.delta", "delta": \n\n',
  errorReply: openaiCodec.errorReply,
  responseHeaders: openaiCodec.responseHeaders,
  listModels: openaiCodec.listModels,
};
