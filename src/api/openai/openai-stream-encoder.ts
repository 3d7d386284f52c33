/**
 * Canonical stream events → OpenAI `chat.completion.chunk` SSE events, for OpenAI clients answered by a
 * deployment of another format. Follows OpenAI's order: a first chunk with the role, content and tool-call
 * deltas (each tool call numbered from 0, its id and name in its first delta), a chunk with the finish
 * reason, then — only if the client asked — a usage chunk with no choices.
 */
import type { StreamEvent, Usage } from '../../core/chat-response.js';
import { encodeOpenAIUsage } from './encode-openai-response.js';

export class OpenAIStreamEncoder {
  private id = 'chatcmpl-keel';
  private model = '';
  private created = Math.floor(Date.now() / 1000);
  private roleSent = false;
  private readonly toolIndexByBlock = new Map<number, number>();
  private usage: Usage | undefined;

  constructor(private readonly includeUsage: boolean) {}

  /** Encodes events into zero or more SSE frames. */
  encode(events: StreamEvent[]): string {
    let out = '';
    for (const event of events) out += this.encodeOne(event);
    return out;
  }

  /** The closing frames: the usage chunk if asked for, then `[DONE]`. */
  finish(): string {
    const usage = this.includeUsage && this.usage !== undefined ? this.frame([], encodeOpenAIUsage(this.usage)) : '';
    return `${usage}data: [DONE]\n\n`;
  }

  private encodeOne(event: StreamEvent): string {
    switch (event.type) {
      case 'start':
        if (event.id !== '') this.id = event.id.startsWith('chatcmpl-') ? event.id : `chatcmpl-${event.id}`;
        this.model = event.model;
        this.created = event.created;
        return '';
      case 'text_delta':
        return this.delta({ content: event.text });
      case 'thinking_delta':
        return this.delta({ reasoning_content: event.text });
      case 'thinking_signature':
        return '';
      case 'tool_call_start': {
        const index = this.toolIndexByBlock.size;
        this.toolIndexByBlock.set(event.index, index);
        return this.delta({ tool_calls: [{ index, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }] });
      }
      case 'tool_call_delta': {
        const index = this.toolIndexByBlock.get(event.index) ?? 0;
        return this.delta({ tool_calls: [{ index, function: { arguments: event.argumentsDelta } }] });
      }
      case 'finish':
        return this.frame([{ index: 0, delta: {}, logprobs: null, finish_reason: event.finishReason }]);
      case 'usage':
        this.usage = event.usage;
        return '';
    }
  }

  private delta(delta: Record<string, unknown>): string {
    if (!this.roleSent) {
      this.roleSent = true;
      delta = { role: 'assistant', ...delta };
    }
    return this.frame([{ index: 0, delta, logprobs: null, finish_reason: null }]);
  }

  private frame(choices: unknown[], usage?: unknown): string {
    const chunk: Record<string, unknown> = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices };
    if (usage !== undefined) chunk['usage'] = usage;
    else if (this.includeUsage) chunk['usage'] = null;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}
