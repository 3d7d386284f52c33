/**
 * Watches an OpenAI Responses SSE stream event by event while its bytes are forwarded to a Responses
 * client: decodes text, reasoning and function-call deltas into canonical events (health, usage, the
 * degraded-answer cache, a mid-stream continuation), keeps each event re-framed verbatim, and judges how
 * the stream ended — `response.completed` / `response.incomplete` is the end, `response.failed` or an
 * `error` event a classified failure, anything else cut short. A malformed event is dropped, never
 * forwarded: it would crash the client's parser.
 */
import type { StreamEvent } from '../../core/chat-response.js';
import type { UpstreamFailure } from '../types.js';
import { safeMessage } from '../http/upstream-request.js';
import type { WatchedEvent } from '../http/sse-items.js';
import { decodeResponsesUsage, openaiResponsesEvent, responsesFinishReason, type OpenAIResponsesEvent } from './openai-responses-wire.js';

export class OpenAIResponsesStreamDecoder {
  private started = false;
  /** Canonical block per output index, assigned as items show content. */
  private readonly blocks = new Map<number, number>();
  private calledTools = false;
  /** The closing event arrived: the answer is whole. */
  finished = false;
  malformedEvents = 0;

  /** The reader ends the stream at the closing event: nothing after it is needed. */
  get complete(): boolean {
    return this.finished;
  }

  /** One event: its data and its `event:` field, when the provider sent one. */
  push(data: string, eventName?: string): WatchedEvent {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.malformedEvents += 1;
      return { events: [] };
    }
    const parsed = openaiResponsesEvent.safeParse(json);
    if (!parsed.success) {
      this.malformedEvents += 1;
      return { events: [] };
    }
    const event = parsed.data;
    if (event.type === 'error' || event.type === 'response.failed') return { events: [], failure: this.failure(event) };
    const events = this.decode(event);
    return { events, raw: `event: ${eventName ?? event.type}\ndata: ${data}\n\n` };
  }

  private decode(event: OpenAIResponsesEvent): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (!this.started && event.response !== undefined) {
      this.started = true;
      const r = event.response;
      events.push({ type: 'start', id: r.id ?? '', model: r.model ?? '', created: r.created_at ?? Math.floor(Date.now() / 1000) });
    }
    const index = event.output_index;
    switch (event.type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        if (index !== undefined && event.delta) events.push({ type: 'text_delta', index: this.block(index), text: event.delta });
        break;
      case 'response.reasoning_text.delta':
      case 'response.reasoning_summary_text.delta':
        if (index !== undefined && event.delta) events.push({ type: 'thinking_delta', index: this.block(index), text: event.delta });
        break;
      case 'response.output_item.added':
        if (index !== undefined && event.item?.type === 'function_call') {
          this.calledTools = true;
          events.push({ type: 'tool_call_start', index: this.block(index), id: event.item.call_id ?? event.item.id ?? '', name: event.item.name ?? '' });
        }
        break;
      case 'response.function_call_arguments.delta':
        if (index !== undefined && event.delta) events.push({ type: 'tool_call_delta', index: this.block(index), argumentsDelta: event.delta });
        break;
      case 'response.completed':
      case 'response.incomplete': {
        this.finished = true;
        const response = event.response ?? {};
        events.push({ type: 'finish', finishReason: responsesFinishReason({ status: response.status ?? 'completed', incomplete_details: response.incomplete_details }, this.calledTools) });
        if (response.usage) events.push({ type: 'usage', usage: decodeResponsesUsage(response.usage) });
        break;
      }
      default:
        break;
    }
    return events;
  }

  private block(outputIndex: number): number {
    let block = this.blocks.get(outputIndex);
    if (block === undefined) {
      block = this.blocks.size;
      this.blocks.set(outputIndex, block);
    }
    return block;
  }

  private failure(event: OpenAIResponsesEvent): UpstreamFailure {
    const error = event.response?.error ?? event.error ?? { code: event.code, message: event.message };
    const kind = `${error?.code ?? ''} ${(event.error?.type ?? '')}`;
    const outcome = /rate_limit/.test(kind) ? 'rate_limited' : /overload/.test(kind) ? 'overloaded' : 'server_error';
    const failure: UpstreamFailure = { outcome, message: safeMessage(error?.message ?? 'the provider sent an error mid-stream') };
    if (error?.code) failure.providerCode = error.code;
    return failure;
  }
}
