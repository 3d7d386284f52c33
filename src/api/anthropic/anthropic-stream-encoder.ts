/**
 * Canonical stream events → Anthropic Messages SSE, for Anthropic clients answered by a deployment of
 * another format. The official SDKs accumulate these events into a message and rely on their order, so
 * the encoder produces exactly the sequence the API does:
 *
 *   message_start → (content_block_start → content_block_delta* → content_block_stop)* → message_delta → message_stop
 *
 * Blocks are numbered from 0 in the order they open, one open at a time (the canonical indices may skip
 * or come from another numbering, so they are renumbered). `message_start` waits for the first content so
 * that a provider reporting input usage right after its start (Anthropic does) gets it into the message.
 * Canonical streams in OpenAI order send usage after the finish reason, so `finish` is only remembered and
 * the closing `message_delta` + `message_stop` come from `finish()`, called when the provider's stream
 * ended cleanly. A stream that fails is closed by the handler's error event instead, never by
 * `message_stop`.
 */
import type { StreamEvent, Usage } from '../../core/chat-response.js';
import { anthropicMessageId, anthropicStopReason, encodeAnthropicUsage, type AnthropicStopReason } from './encode-anthropic-response.js';

type BlockKind = 'text' | 'thinking' | 'tool_use';

interface OpenBlock {
  /** The canonical index the events use. */
  source: number;
  kind: BlockKind;
  /** The Anthropic index sent to the client. */
  index: number;
}

/** One SSE frame: the event name repeated as `type` in the data, as the API sends it. */
export function anthropicFrame(data: { type: string } & Record<string, unknown>): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class AnthropicStreamEncoder {
  private id = '';
  private model: string;
  private started = false;
  private finished = false;
  private open: OpenBlock | undefined;
  private nextIndex = 0;
  private sawToolUse = false;
  private stop: { reason: AnthropicStopReason; sequence: string | null } | undefined;
  private usage: Usage | undefined;

  /** `requestedModel` names the message when the provider's stream does not. */
  constructor(requestedModel: string) {
    this.model = requestedModel;
  }

  /** Encodes events into zero or more SSE frames. */
  encode(events: StreamEvent[]): string {
    let out = '';
    for (const event of events) out += this.encodeOne(event);
    return out;
  }

  /** The closing frames of a complete answer: the open block's stop, `message_delta`, `message_stop`. */
  finish(): string {
    if (this.finished) return '';
    this.finished = true;
    let out = this.messageStart() + this.closeOpen();
    const stop = this.stop ?? { reason: this.sawToolUse ? 'tool_use' : 'end_turn', sequence: null };
    // The SDK reads `usage.output_tokens` unconditionally; the other counters only when present.
    const usage = this.usage === undefined ? { output_tokens: 0 } : encodeAnthropicUsage(this.usage);
    out += anthropicFrame({ type: 'message_delta', delta: { stop_reason: stop.reason, stop_sequence: stop.sequence }, usage });
    out += anthropicFrame({ type: 'message_stop' });
    return out;
  }

  private encodeOne(event: StreamEvent): string {
    if (this.finished) return '';
    switch (event.type) {
      case 'start':
        if (event.id !== '') this.id = event.id;
        if (event.model !== '') this.model = event.model;
        return '';
      case 'usage':
        this.usage = event.usage;
        return '';
      case 'finish':
        this.stop = { reason: anthropicStopReason(event.finishReason, event.stopSequence), sequence: event.stopSequence ?? null };
        return '';
      case 'text_delta':
        if (event.text === '') return '';
        return this.enter(event.index, 'text') + this.delta({ type: 'text_delta', text: event.text });
      case 'thinking_delta':
        if (event.text === '') return '';
        return this.enter(event.index, 'thinking') + this.delta({ type: 'thinking_delta', thinking: event.text });
      case 'thinking_signature':
        return this.enter(event.index, 'thinking') + this.delta({ type: 'signature_delta', signature: event.signature });
      case 'tool_call_start':
        if (this.open?.source === event.index && this.open.kind === 'tool_use') return '';
        this.sawToolUse = true;
        return this.enter(event.index, 'tool_use', { id: event.id, name: event.name });
      case 'tool_call_delta':
        // Arguments can only go to the tool block that is open: Anthropic cannot reopen a closed block.
        // Every provider Keel decodes streams one tool call after another, so a delta for a call that is
        // no longer open does not happen in practice; if one did, it could not be expressed and is dropped.
        if (this.open?.source !== event.index || this.open.kind !== 'tool_use' || event.argumentsDelta === '') return '';
        return this.delta({ type: 'input_json_delta', partial_json: event.argumentsDelta });
    }
  }

  /** Makes the block for `source` the open one: message_start first, then close the previous block. */
  private enter(source: number, kind: BlockKind, tool?: { id: string; name: string }): string {
    let out = this.messageStart();
    if (this.open?.source === source && this.open.kind === kind) return out;
    out += this.closeOpen();
    const index = this.nextIndex++;
    this.open = { source, kind, index };
    // Text or thinking for a block already closed (a provider interleaving blocks) opens a fresh block of
    // the same kind: joined, the client still reads the same text.
    const contentBlock =
      kind === 'text' ? { type: 'text', text: '' }
      : kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' }
      : { type: 'tool_use', id: tool!.id, name: tool!.name, input: {} };
    return out + anthropicFrame({ type: 'content_block_start', index, content_block: contentBlock });
  }

  private delta(delta: Record<string, unknown>): string {
    return anthropicFrame({ type: 'content_block_delta', index: this.open!.index, delta });
  }

  private closeOpen(): string {
    if (this.open === undefined) return '';
    const { index } = this.open;
    this.open = undefined;
    return anthropicFrame({ type: 'content_block_stop', index });
  }

  private messageStart(): string {
    if (this.started) return '';
    this.started = true;
    const usage = this.usage === undefined ? { input_tokens: 0, output_tokens: 0 } : encodeAnthropicUsage(this.usage);
    const message = {
      id: anthropicMessageId(this.id),
      type: 'message',
      role: 'assistant',
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage,
    };
    return anthropicFrame({ type: 'message_start', message });
  }
}
