/**
 * Folds canonical stream events back into the complete response they describe, and the other way round.
 * Used to remember a streamed answer (the degraded-answer cache) and to replay a stored answer to a
 * streaming client.
 */
import type { AssistantContentPart } from './chat-request.js';
import type { ChatResponse, FinishReason, StreamEvent, Usage } from './chat-response.js';

export class StreamAccumulator {
  private id = '';
  private model = '';
  private created = 0;
  private readonly blocks = new Map<number, AssistantContentPart>();
  private finishReason: FinishReason | undefined;
  private stopSequence: string | undefined;
  private usage: Usage = { inputTokens: 0, outputTokens: 0 };

  push(event: StreamEvent): void {
    switch (event.type) {
      case 'start':
        ({ id: this.id, model: this.model, created: this.created } = event);
        return;
      case 'text_delta': {
        const block = this.blocks.get(event.index);
        if (block?.type === 'text') block.text += event.text;
        else this.blocks.set(event.index, { type: 'text', text: event.text });
        return;
      }
      case 'thinking_delta': {
        const block = this.blocks.get(event.index);
        if (block?.type === 'thinking') block.text += event.text;
        else this.blocks.set(event.index, { type: 'thinking', text: event.text });
        return;
      }
      case 'thinking_signature': {
        const block = this.blocks.get(event.index);
        if (block?.type === 'thinking') block.signature = event.signature;
        return;
      }
      case 'tool_call_start':
        this.blocks.set(event.index, { type: 'tool_call', id: event.id, name: event.name, arguments: '' });
        return;
      case 'tool_call_delta': {
        const block = this.blocks.get(event.index);
        if (block?.type === 'tool_call') block.arguments += event.argumentsDelta;
        return;
      }
      case 'finish':
        this.finishReason = event.finishReason;
        this.stopSequence = event.stopSequence;
        return;
      case 'usage':
        this.usage = event.usage;
        return;
    }
  }

  /** The complete response, or undefined when the stream never finished. */
  result(): ChatResponse | undefined {
    if (this.finishReason === undefined) return undefined;
    const content = [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
    const response: ChatResponse = { id: this.id, model: this.model, created: this.created, content, finishReason: this.finishReason, usage: this.usage };
    if (this.stopSequence !== undefined) response.stopSequence = this.stopSequence;
    return response;
  }
}

/** The stream events that describe a complete response, in the order a provider would send them. */
export function responseToEvents(response: ChatResponse): StreamEvent[] {
  const events: StreamEvent[] = [{ type: 'start', id: response.id, model: response.model, created: response.created }];
  response.content.forEach((part, index) => {
    if (part.type === 'text') events.push({ type: 'text_delta', index, text: part.text });
    else if (part.type === 'thinking') {
      events.push({ type: 'thinking_delta', index, text: part.text });
      if (part.signature !== undefined) events.push({ type: 'thinking_signature', index, signature: part.signature });
    } else {
      events.push({ type: 'tool_call_start', index, id: part.id, name: part.name });
      if (part.arguments !== '') events.push({ type: 'tool_call_delta', index, argumentsDelta: part.arguments });
    }
  });
  events.push(response.stopSequence === undefined ? { type: 'finish', finishReason: response.finishReason } : { type: 'finish', finishReason: response.finishReason, stopSequence: response.stopSequence });
  events.push({ type: 'usage', usage: response.usage });
  return events;
}
