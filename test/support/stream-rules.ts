/**
 * Test support: the wire rules of a streamed answer in each client format, checked event by event on the
 * raw SSE text (independently of the SDKs, whose accumulators forgive a lot). Each checker throws naming
 * the first broken rule and returns the parsed events for further assertions.
 */
import { checkAnthropicEventOrder, parseAnthropicSse, type AnthropicSseEvent } from '../../src/api/anthropic/__fixtures__/anthropic-event-order.js';

export interface OpenAIChunk {
  id: string;
  object: string;
  choices: {
    index: number;
    delta: {
      role?: string;
      content?: string | null;
      tool_calls?: { index: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/** What the deltas of a checked OpenAI stream add up to. */
export interface OpenAIStreamSummary {
  chunks: OpenAIChunk[];
  text: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: string;
  usage: OpenAIChunk['usage'];
}

/** SSE frames of a text; comment lines (`: keep-alive`) are not events and are dropped. */
function frames(text: string): string[][] {
  return text
    .split(/\r?\n\r?\n/)
    .map((frame) => frame.split(/\r?\n/).filter((line) => line !== '' && !line.startsWith(':')))
    .filter((lines) => lines.length > 0);
}

/** Checks a complete (successful) OpenAI chat-completion stream. */
export function checkOpenAIStream(text: string, options: { includeUsage: boolean }): OpenAIStreamSummary {
  const events = frames(text);
  const fail = (i: number, why: string): never => {
    throw new Error(`OpenAI stream, event ${i}: ${why}\n${text}`);
  };
  const chunks: OpenAIChunk[] = [];
  events.forEach((lines, i) => {
    if (lines.length !== 1 || !lines[0]!.startsWith('data: ')) fail(i, `expected one "data: " line, got ${JSON.stringify(lines)}`);
    const data = lines[0]!.slice('data: '.length);
    if (data === '[DONE]') {
      if (i !== events.length - 1) fail(i, '[DONE] must come exactly once, last');
      return;
    }
    let chunk: OpenAIChunk;
    try {
      chunk = JSON.parse(data) as OpenAIChunk;
    } catch {
      return fail(i, `not JSON: ${data}`);
    }
    if (chunk.object !== 'chat.completion.chunk') fail(i, `object is ${JSON.stringify(chunk.object)}`);
    if (typeof chunk.id !== 'string' || chunk.id === '') fail(i, 'missing id');
    if (chunks.length > 0 && chunk.id !== chunks[0]!.id) fail(i, `id ${chunk.id} differs from ${chunks[0]!.id}`);
    if (!Array.isArray(chunk.choices)) fail(i, 'choices must be an array');
    chunks.push(chunk);
  });
  if (events.at(-1)?.[0] !== 'data: [DONE]') fail(events.length, 'the stream must end with data: [DONE]');

  const summary: OpenAIStreamSummary = { chunks, text: '', toolCalls: [], finishReason: '', usage: undefined };
  let sawRole = false;
  let finishes = 0;
  chunks.forEach((chunk, i) => {
    if (options.includeUsage && i === chunks.length - 1) {
      if (chunk.choices.length !== 0 || typeof chunk.usage?.completion_tokens !== 'number') {
        fail(i, 'with include_usage the last chunk before [DONE] must have choices: [] and usage');
      }
      summary.usage = chunk.usage;
      return;
    }
    if (chunk.usage != null) fail(i, 'usage may only come in the final usage chunk (and only with include_usage)');
    if (chunk.choices.length !== 1 || chunk.choices[0]!.index !== 0) fail(i, 'expected exactly one choice with index 0');
    const { delta, finish_reason: finish } = chunk.choices[0]!;
    if (finishes > 0) fail(i, 'a choice chunk after the one with finish_reason');
    if (delta.role !== undefined) {
      if (delta.role !== 'assistant' || sawRole) fail(i, `role ${JSON.stringify(delta.role)} (expected "assistant" once, first)`);
      sawRole = true;
    }
    const hasContent = (typeof delta.content === 'string' && delta.content !== '') || (delta.tool_calls?.length ?? 0) > 0;
    if (hasContent && !sawRole) fail(i, 'content before the role: the first content delta must carry role "assistant"');
    if (typeof delta.content === 'string') summary.text += delta.content;
    for (const call of delta.tool_calls ?? []) {
      const current = summary.toolCalls.length - 1;
      if (call.index === current + 1) {
        if (typeof call.id !== 'string' || call.id === '' || call.type !== 'function' || typeof call.function?.name !== 'string' || call.function.name === '') {
          fail(i, `the first delta of tool call ${call.index} needs id, type "function" and function.name: ${JSON.stringify(call)}`);
        }
        summary.toolCalls.push({ id: call.id!, name: call.function!.name!, arguments: call.function?.arguments ?? '' });
      } else if (call.index === current && current >= 0) {
        if (call.id !== undefined || call.type !== undefined || call.function?.name !== undefined) {
          fail(i, `a later delta of tool call ${call.index} repeats id/type/name: ${JSON.stringify(call)}`);
        }
        summary.toolCalls[current]!.arguments += call.function?.arguments ?? '';
      } else {
        fail(i, `tool call index ${call.index} out of order (expected ${current} or ${current + 1})`);
      }
    }
    if (finish != null) {
      finishes += 1;
      summary.finishReason = finish;
    }
  });
  if (finishes !== 1) fail(chunks.length, `expected exactly one chunk with a finish_reason, got ${finishes}`);
  if (!options.includeUsage && summary.usage !== undefined) fail(chunks.length, 'usage sent without include_usage');
  return summary;
}

/** What the deltas of a checked Anthropic stream add up to. */
export interface AnthropicStreamSummary {
  events: AnthropicSseEvent[];
  blocks: { type: string; text: string; name?: string; json: string }[];
  stopReason: string;
  outputTokens: number;
}

const DELTA_FOR_BLOCK: Record<string, string> = {
  text: 'text_delta',
  tool_use: 'input_json_delta',
  thinking: 'thinking_delta',
};

/**
 * Checks a complete (successful) Anthropic message stream: the shared event-order rules (names equal
 * types, message_start first, blocks opened and closed in order from 0, one message_delta with
 * usage.output_tokens, message_stop last), plus pings only after message_start, delta kinds matching
 * their block (a thinking block may also get its signature_delta), and a stop_reason in message_delta.
 */
export function checkAnthropicStream(text: string): AnthropicStreamSummary {
  const all = parseAnthropicSse(text);
  const fail = (why: string): never => {
    throw new Error(`Anthropic stream: ${why}\n${text}`);
  };
  if (all[0]?.event !== 'message_start') fail('the first event must be message_start (no ping before it)');
  const events = checkAnthropicEventOrder(text);
  const start = events[0]!.data['message'] as { role?: string; content?: unknown[] } | undefined;
  if (start?.role !== 'assistant' || start.content?.length !== 0) fail('message_start must carry an assistant message with empty content');

  const summary: AnthropicStreamSummary = { events, blocks: [], stopReason: '', outputTokens: 0 };
  for (const { event, data } of events) {
    if (event === 'content_block_start') {
      const block = data['content_block'] as { type: string; name?: string };
      summary.blocks.push({ type: block.type, text: '', json: '', ...(block.name === undefined ? {} : { name: block.name }) });
    } else if (event === 'content_block_delta') {
      const block = summary.blocks.at(-1)!;
      const delta = data['delta'] as { type: string; text?: string; partial_json?: string };
      const allowed = block.type === 'thinking' ? ['thinking_delta', 'signature_delta'] : [DELTA_FOR_BLOCK[block.type]];
      if (!allowed.includes(delta.type)) fail(`a ${delta.type} in a ${block.type} block`);
      block.text += delta.text ?? '';
      block.json += delta.partial_json ?? '';
    } else if (event === 'message_delta') {
      const delta = data['delta'] as { stop_reason?: unknown };
      if (typeof delta?.stop_reason !== 'string') fail('message_delta needs delta.stop_reason');
      summary.stopReason = delta.stop_reason as string;
      summary.outputTokens = (data['usage'] as { output_tokens: number }).output_tokens;
    }
  }
  return summary;
}
