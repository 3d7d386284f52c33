/**
 * Canonical stream events → OpenAI Responses SSE events, for Responses clients answered by a deployment of
 * another format. The order is OpenAI's: `response.created`, `response.in_progress`, then per output item
 * `output_item.added`, (for text and reasoning) `content_part.added`, the deltas, their `.done` events,
 * `output_item.done` — one item at a time, closed when the next begins — and finally `response.completed`
 * (or `response.incomplete` after a length stop) carrying the whole response and its usage. Every event
 * has a `sequence_number`, counted from 0. A stream that breaks ends with `response.failed`.
 */
import type { FinishReason, StreamEvent, Usage } from '../../core/chat-response.js';
import {
  encodeResponsesUsage,
  endOf,
  functionCallItem,
  messageItem,
  outputItemId,
  outputTextPart,
  responseObject,
  type Envelope,
  type Json,
} from './encode-responses-response.js';

interface OpenItem {
  block: number;
  kind: 'message' | 'function_call' | 'reasoning';
  id: string;
  outputIndex: number;
  text: string;
  callId?: string;
  name?: string;
}

export class ResponsesStreamEncoder {
  private sequence = 0;
  private started = false;
  private open: OpenItem | undefined;
  private readonly output: Json[] = [];
  private finishReason: FinishReason | undefined;
  private usage: Usage | undefined;

  /**
   * `upstreamSequence` is the last sequence number of a passed-through stream, when there is one: after
   * a switch to encoding (a mid-stream continuation, or a failure), numbering continues from it, and the
   * opening events are not sent twice.
   */
  constructor(
    private readonly envelope: Envelope,
    private readonly upstreamSequence: () => number | undefined = () => undefined,
  ) {}

  encode(events: StreamEvent[]): string {
    let out = this.start();
    for (const event of events) out += this.encodeOne(event);
    return out;
  }

  /** The closing events of a stream that completed. */
  finish(): string {
    let out = this.start() + this.close();
    const end = endOf(this.finishReason);
    const response = this.response(end.status, { incomplete_details: end.incomplete_details });
    out += this.frame(end.status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
    return out;
  }

  /** The closing event of a stream that broke after it started. */
  failed(code: string, message: string): string {
    return this.start() + this.frame('response.failed', { response: this.response('failed', { error: { code, message } }) });
  }

  /** The response as it stands, for storage once the stream has finished. */
  snapshot(): Json {
    const end = endOf(this.finishReason);
    return this.response(end.status, { incomplete_details: end.incomplete_details });
  }

  private response(status: string, extra: { error?: Json; incomplete_details?: Json | null }): Json {
    return responseObject(this.envelope, { status, output: [...this.output], usage: this.usage === undefined ? null : encodeResponsesUsage(this.usage), ...extra });
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    if (this.upstreamSequence() !== undefined) return '';
    const response = responseObject(this.envelope, { status: 'in_progress', output: [], usage: null });
    return this.frame('response.created', { response }) + this.frame('response.in_progress', { response });
  }

  private encodeOne(event: StreamEvent): string {
    switch (event.type) {
      case 'start':
      case 'thinking_signature':
        return '';
      case 'text_delta': {
        const [opened, item] = this.item(event.index, 'message');
        item.text += event.text;
        return opened + this.frame('response.output_text.delta', { item_id: item.id, output_index: item.outputIndex, content_index: 0, delta: event.text, logprobs: [] });
      }
      case 'thinking_delta': {
        const [opened, item] = this.item(event.index, 'reasoning');
        item.text += event.text;
        return opened + this.frame('response.reasoning_text.delta', { item_id: item.id, output_index: item.outputIndex, content_index: 0, delta: event.text });
      }
      case 'tool_call_start': {
        const [opened] = this.item(event.index, 'function_call', event.id, event.name);
        return opened;
      }
      case 'tool_call_delta': {
        const [opened, item] = this.item(event.index, 'function_call');
        item.text += event.argumentsDelta;
        return opened + this.frame('response.function_call_arguments.delta', { item_id: item.id, output_index: item.outputIndex, delta: event.argumentsDelta });
      }
      case 'finish':
        this.finishReason = event.finishReason;
        return this.close();
      case 'usage':
        this.usage = event.usage;
        return '';
    }
  }

  /** The open item for a content block, opening it (and closing the previous one) when it is new. */
  private item(block: number, kind: OpenItem['kind'], callId?: string, name?: string): [string, OpenItem] {
    if (this.open !== undefined && this.open.block === block && this.open.kind === kind) return ['', this.open];
    let out = this.close();
    const prefix = kind === 'message' ? 'msg' : kind === 'reasoning' ? 'rs' : 'fc';
    const item: OpenItem = { block, kind, id: outputItemId(prefix, this.envelope.id, this.output.length), outputIndex: this.output.length, text: '' };
    this.output.push({}); // the slot; filled when the item is done
    this.open = item;
    const at = { output_index: item.outputIndex };
    if (kind === 'function_call') {
      item.callId = callId ?? `call_${item.id.slice(3, 27)}`;
      item.name = name ?? '';
      return [out + this.frame('response.output_item.added', { ...at, item: functionCallItem(item.id, item.callId, item.name, '', 'in_progress') }), item];
    }
    if (kind === 'message') {
      out += this.frame('response.output_item.added', { ...at, item: { id: item.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
      out += this.frame('response.content_part.added', { item_id: item.id, ...at, content_index: 0, part: outputTextPart('') });
    } else {
      out += this.frame('response.output_item.added', { ...at, item: { id: item.id, type: 'reasoning', summary: [], content: [] } });
      out += this.frame('response.content_part.added', { item_id: item.id, ...at, content_index: 0, part: { type: 'reasoning_text', text: '' } });
    }
    return [out, item];
  }

  private close(): string {
    const item = this.open;
    if (item === undefined) return '';
    this.open = undefined;
    const at = { item_id: item.id, output_index: item.outputIndex };
    let out = '';
    let done: Json;
    if (item.kind === 'function_call') {
      out += this.frame('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.text });
      done = functionCallItem(item.id, item.callId!, item.name!, item.text, 'completed');
    } else if (item.kind === 'message') {
      out += this.frame('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] });
      out += this.frame('response.content_part.done', { ...at, content_index: 0, part: outputTextPart(item.text) });
      done = messageItem(item.id, item.text, 'completed');
    } else {
      const part = { type: 'reasoning_text', text: item.text };
      out += this.frame('response.reasoning_text.done', { ...at, content_index: 0, text: item.text });
      out += this.frame('response.content_part.done', { ...at, content_index: 0, part });
      done = { id: item.id, type: 'reasoning', summary: [], content: [part] };
    }
    this.output[item.outputIndex] = done;
    return out + this.frame('response.output_item.done', { output_index: item.outputIndex, item: done });
  }

  private frame(type: string, body: Json): string {
    const upstream = this.upstreamSequence();
    if (upstream !== undefined && this.sequence <= upstream) this.sequence = upstream + 1;
    return `event: ${type}\ndata: ${JSON.stringify({ type, ...body, sequence_number: this.sequence++ })}\n\n`;
  }
}
