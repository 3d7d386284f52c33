/**
 * Anthropic Messages on the wire: `message` bodies, the named-event stream (message_start, ping, one
 * start/delta/stop run per content block, message_delta, message_stop) with text, thinking + signature and
 * tool_use `input_json_delta` blocks, and the `{type: "error", error: {type, message}, request_id}` shape.
 */
import { readAnthropicRequest } from './anthropic-request.js';
import type { ErrorContext, ErrorReply, FormatCodec, ReplyContext } from './format-codec.js';
import { splitArgs, type FinishKind, type NeutralRequest, type ReplyPlan } from './reply-plan.js';
import type { SseFrame } from './sse-writer.js';

const STOP_REASON: Record<FinishKind, string> = {
  stop: 'end_turn',
  stop_sequence: 'stop_sequence',
  length: 'max_tokens',
  tool_calls: 'tool_use',
};

/** A stable, opaque-looking signature: clients only store and echo it. */
function signatureFor(plan: ReplyPlan): string {
  return Buffer.from(`keel-sim-signature:${plan.thinkingTokens.join('')}`).toString('base64');
}

function usage(plan: ReplyPlan, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: plan.inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    service_tier: 'standard',
  };
}

type Block =
  | { type: 'thinking'; tokens: string[] }
  | { type: 'text'; tokens: string[] }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; json: string };

function blocksOf(plan: ReplyPlan, ctx: ReplyContext): Block[] {
  const blocks: Block[] = [];
  if (plan.thinkingTokens.length > 0) blocks.push({ type: 'thinking', tokens: plan.thinkingTokens });
  if (plan.tokens.length > 0) blocks.push({ type: 'text', tokens: plan.tokens });
  for (const call of plan.toolCalls) {
    blocks.push({ type: 'tool_use', id: ctx.newId('toolu_'), name: call.name, input: call.args, json: call.argsJson });
  }
  return blocks;
}

function renderJson(plan: ReplyPlan, _request: NeutralRequest, ctx: ReplyContext): unknown {
  const content = blocksOf(plan, ctx).map((block) => {
    switch (block.type) {
      case 'thinking':
        return { type: 'thinking', thinking: block.tokens.join(''), signature: signatureFor(plan) };
      case 'text':
        return { type: 'text', text: block.tokens.join('') };
      case 'tool_use':
        return { type: 'tool_use', id: block.id, name: block.name, input: block.input };
    }
  });
  return {
    id: ctx.newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    stop_reason: STOP_REASON[plan.finish],
    stop_sequence: plan.stopSequence,
    usage: usage(plan, plan.outputTokens),
  };
}

function renderStream(plan: ReplyPlan, _request: NeutralRequest, ctx: ReplyContext): SseFrame[] {
  // Every event names itself twice (the `event:` line and `type` in the data), as the API does.
  const event = (data: Record<string, unknown> & { type: string }, extra: Partial<SseFrame> = {}): SseFrame => ({
    event: data.type,
    data,
    ...extra,
  });
  const frames: SseFrame[] = [
    event({
      type: 'message_start',
      message: {
        id: ctx.newId('msg_'), type: 'message', role: 'assistant', model: ctx.model, content: [],
        stop_reason: null, stop_sequence: null, usage: usage(plan, 1),
      },
    }),
    event({ type: 'ping' }),
  ];
  blocksOf(plan, ctx).forEach((block, index) => {
    const delta = (body: Record<string, unknown>, token = true): SseFrame =>
      event({ type: 'content_block_delta', index, delta: body }, token ? { token: true } : {});
    switch (block.type) {
      case 'thinking':
        frames.push(event({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
        for (const token of block.tokens) frames.push(delta({ type: 'thinking_delta', thinking: token }));
        frames.push(delta({ type: 'signature_delta', signature: signatureFor(plan) }, false));
        break;
      case 'text':
        frames.push(event({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
        for (const token of block.tokens) frames.push(delta({ type: 'text_delta', text: token }));
        break;
      case 'tool_use':
        frames.push(event({
          type: 'content_block_start', index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }));
        frames.push(delta({ type: 'input_json_delta', partial_json: '' }, false));
        for (const piece of splitArgs(block.json)) frames.push(delta({ type: 'input_json_delta', partial_json: piece }));
        break;
    }
    frames.push(event({ type: 'content_block_stop', index }));
  });
  frames.push(
    event(
      {
        type: 'message_delta',
        delta: { stop_reason: STOP_REASON[plan.finish], stop_sequence: plan.stopSequence },
        usage: { output_tokens: plan.outputTokens },
      },
      { tail: true },
    ),
    event({ type: 'message_stop' }, { tail: true, terminal: true }),
  );
  return frames;
}

function errorType(error: ErrorContext): { type: string; message: string } {
  switch (error.kind) {
    case 'rate_limit':
      return {
        type: 'rate_limit_error',
        message: 'This request would exceed the rate limit for your organization of 50 requests per minute. '
          + 'For details, refer to: https://docs.claude.com/en/api/rate-limits.',
      };
    case 'overloaded':
    case 'unavailable':
      return { type: 'overloaded_error', message: 'Overloaded' };
    case 'server_error':
      return { type: 'api_error', message: 'Internal server error' };
    case 'timeout':
      return { type: 'timeout_error', message: 'Request timed out' };
    case 'context_length':
      return {
        type: 'invalid_request_error',
        message: `prompt is too long: ${error.inputTokens ?? 200001} tokens > ${error.contextWindow ?? 200000} maximum`,
      };
    case 'content_filter':
      return { type: 'invalid_request_error', message: 'Output blocked by content filtering policy' };
    case 'auth':
      return error.status === 403
        ? { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' }
        : { type: 'authentication_error', message: 'invalid x-api-key' };
    case 'not_found':
      return { type: 'not_found_error', message: `model: ${error.model}` };
    case 'bad_request':
      return error.status === 413
        ? { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' }
        : { type: 'invalid_request_error', message: 'Invalid request' };
  }
}

function errorReply(error: ErrorContext, ctx: ReplyContext): ErrorReply {
  const requestId = ctx.newId('req_');
  const { type, message } = errorType(error);
  const headers: Record<string, string> = { 'request-id': requestId };
  if (error.kind === 'rate_limit') {
    const resetAt = new Date(Date.now() + (error.retryAfterS ?? 1) * 1000).toISOString();
    Object.assign(headers, {
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': resetAt,
    });
  }
  return {
    status: error.status,
    headers,
    body: { type: 'error', error: { type, message: error.message ?? message }, request_id: requestId },
  };
}

export const anthropicCodec: FormatCodec = {
  format: 'anthropic',
  sseContentType: 'text/event-stream; charset=utf-8',
  readRequest: (body, target) => readAnthropicRequest(body, target),
  renderJson,
  renderStream,
  streamError: (kind) => ({
    event: 'error',
    data: {
      type: 'error',
      error: kind === 'overloaded'
        ? { type: 'overloaded_error', message: 'Overloaded' }
        : { type: 'api_error', message: 'Internal server error' },
    },
  }),
  malformedEvent: 'event: content_block_delta\ndata: {"type": "content_block_delta", "index": 0, "delta": {\n\n',
  errorReply,
  responseHeaders: (ctx) => ({ 'request-id': ctx.newId('req_') }),
  listModels: (names) => ({
    data: names.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })),
    has_more: false,
    first_id: names[0] ?? null,
    last_id: names.at(-1) ?? null,
  }),
};
