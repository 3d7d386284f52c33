/**
 * Watches an Anthropic Messages stream event by event: decodes each named event into canonical events,
 * keeps the event re-framed verbatim for same-format forwarding, and judges how the stream ended. The
 * answer is finished at the `message_delta` that carries a `stop_reason`: only `message_stop` can follow,
 * so the stream is finalised there instead of waiting on a terminator a broken provider may never send.
 * A malformed event is dropped and counted (never forwarded: it would crash the client's parser); an
 * `event: error` is a failure classified like the HTTP error of the same type.
 *
 * Anthropic numbers content blocks in its own content array, which may hold blocks Keel does not decode
 * (server tool results, redacted thinking); canonical indices count only decoded blocks, and a text or
 * thinking block gets its index at its first content so an empty block leaves no hole.
 */
import type { StreamEvent } from '../../core/chat-response.js';
import type { WatchedEvent } from '../http/sse-items.js';
import { classifyAnthropicStreamError } from './anthropic-error.js';
import { decodeAnthropicUsage } from './decode-anthropic-response.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
import { anthropicStreamEvent, KNOWN_STREAM_EVENTS, type AnthropicContentBlock, type AnthropicUsage } from './anthropic-wire.js';

interface BlockState {
  kind: 'text' | 'thinking' | 'tool' | 'other';
  /** Canonical index, once the block has shown content (tool calls get theirs at the start). */
  index?: number;
  argumentsSeen?: boolean;
}

type UsageFields = { -readonly [K in keyof AnthropicUsage]?: AnthropicUsage[K] };

/** SSE framing of one event; data with line breaks becomes several `data:` lines, as the spec joins them. */
export function frameSse(event: string | undefined, data: string): string {
  const head = event === undefined || event === '' ? '' : `event: ${event}\n`;
  return `${head}${data.split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`;
}

export class AnthropicStreamDecoder {
  private readonly blocks = new Map<number, BlockState>();
  private nextIndex = 0;
  private usage: UsageFields = {};
  private stopReasonSeen = false;
  private stopped = false;
  malformedEvents = 0;

  /** The answer is whole: a stop reason arrived (or `message_stop` did). Nothing more is needed. */
  get finished(): boolean {
    return this.stopReasonSeen || this.stopped;
  }

  /** The reader ends the stream at the stop reason: nothing after it is needed. */
  get complete(): boolean {
    return this.finished;
  }

  /** One event: its data and its `event:` field, when the provider sent one. */
  push(data: string, eventName?: string): WatchedEvent {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.malformed();
    }
    const type = json !== null && typeof json === 'object' ? (json as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') return this.malformed();
    const raw = frameSse(eventName ?? type, data);
    // An event type added after this was written: forwarded untouched, decoded to nothing.
    if (!KNOWN_STREAM_EVENTS.has(type)) return { events: [], raw };
    const parsed = anthropicStreamEvent.safeParse(json);
    if (!parsed.success) return this.malformed();
    const event = parsed.data;
    const events: StreamEvent[] = [];
    switch (event.type) {
      case 'message_start':
        this.mergeUsage(event.message.usage);
        events.push({ type: 'start', id: event.message.id, model: event.message.model, created: Math.floor(Date.now() / 1000) });
        break;
      case 'content_block_start':
        this.startBlock(event.index, event.content_block as AnthropicContentBlock, events);
        break;
      case 'content_block_delta':
        this.delta(event.index, event.delta as { type: string } & Record<string, unknown>, events);
        break;
      case 'content_block_stop': {
        const block = this.blocks.get(event.index);
        // A tool without arguments streams none; `{}` keeps it the same as the JSON answer's `input: {}`.
        if (block?.kind === 'tool' && block.argumentsSeen !== true && block.index !== undefined) {
          events.push({ type: 'tool_call_delta', index: block.index, argumentsDelta: '{}' });
        }
        break;
      }
      case 'message_delta':
        this.mergeUsage(event.usage);
        if (event.delta.stop_reason != null) {
          this.stopReasonSeen = true;
          const finish: StreamEvent = { type: 'finish', finishReason: mapAnthropicStopReason(event.delta.stop_reason) };
          if (event.delta.stop_reason === 'stop_sequence' && event.delta.stop_sequence != null) finish.stopSequence = event.delta.stop_sequence;
          events.push(finish);
        }
        events.push({ type: 'usage', usage: decodeAnthropicUsage(this.usage) });
        break;
      case 'message_stop':
        this.stopped = true;
        break;
      case 'ping':
        break;
      case 'error':
        return { events: [], failure: classifyAnthropicStreamError(event.error) };
    }
    return { events, raw };
  }

  private malformed(): WatchedEvent {
    this.malformedEvents += 1;
    return { events: [] };
  }

  /** `message_delta` usage is cumulative and may repeat or refine the input counts of `message_start`. */
  private mergeUsage(usage: AnthropicUsage | null | undefined): void {
    if (usage == null) return;
    for (const [key, value] of Object.entries(usage)) {
      if (value != null) (this.usage as Record<string, unknown>)[key] = value;
    }
  }

  private indexOf(block: BlockState): number {
    block.index ??= this.nextIndex++;
    return block.index;
  }

  private startBlock(at: number, content: AnthropicContentBlock, events: StreamEvent[]): void {
    switch (content.type) {
      case 'text': {
        const block: BlockState = { kind: 'text' };
        this.blocks.set(at, block);
        if (content.text) events.push({ type: 'text_delta', index: this.indexOf(block), text: content.text });
        break;
      }
      case 'thinking': {
        const block: BlockState = { kind: 'thinking' };
        this.blocks.set(at, block);
        if (content.thinking) events.push({ type: 'thinking_delta', index: this.indexOf(block), text: content.thinking });
        if (content.signature) events.push({ type: 'thinking_signature', index: this.indexOf(block), signature: content.signature });
        break;
      }
      case 'tool_use': {
        const block: BlockState = { kind: 'tool' };
        this.blocks.set(at, block);
        events.push({ type: 'tool_call_start', index: this.indexOf(block), id: content.id!, name: content.name! });
        if (content.input !== undefined && Object.keys(content.input).length > 0) {
          block.argumentsSeen = true;
          events.push({ type: 'tool_call_delta', index: this.indexOf(block), argumentsDelta: JSON.stringify(content.input) });
        }
        break;
      }
      default:
        // redacted_thinking has no stream event; server tool blocks only matter to Anthropic clients.
        this.blocks.set(at, { kind: 'other' });
    }
  }

  private delta(at: number, delta: { type: string } & Record<string, unknown>, events: StreamEvent[]): void {
    let block = this.blocks.get(at);
    if (block === undefined) {
      // A delta without its block start: text and thinking can still be placed; a tool call cannot.
      const kind = delta.type === 'text_delta' ? 'text' : delta.type === 'thinking_delta' || delta.type === 'signature_delta' ? 'thinking' : 'other';
      block = { kind };
      this.blocks.set(at, block);
    }
    switch (delta.type) {
      case 'text_delta':
        if (block.kind === 'text' && delta['text'] !== '') events.push({ type: 'text_delta', index: this.indexOf(block), text: delta['text'] as string });
        break;
      case 'thinking_delta':
        if (block.kind === 'thinking' && delta['thinking'] !== '') {
          events.push({ type: 'thinking_delta', index: this.indexOf(block), text: delta['thinking'] as string });
        }
        break;
      case 'signature_delta':
        if (block.kind === 'thinking') events.push({ type: 'thinking_signature', index: this.indexOf(block), signature: delta['signature'] as string });
        break;
      case 'input_json_delta':
        if (block.kind === 'tool' && delta['partial_json'] !== '') {
          block.argumentsSeen = true;
          events.push({ type: 'tool_call_delta', index: this.indexOf(block), argumentsDelta: delta['partial_json'] as string });
        }
        break;
      default:
        // citations and delta kinds added later: forwarded raw, nothing to decode.
        break;
    }
  }
}
