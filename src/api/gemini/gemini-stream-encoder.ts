/**
 * Canonical stream events → Gemini `streamGenerateContent?alt=sse` chunks, for Gemini clients answered by
 * a deployment of another format. Each chunk is a `GenerateContentResponse` holding what is new: text and
 * thought deltas as they come, a function call whole once its arguments are complete (Gemini never
 * streams arguments), and a last chunk with the finish reason and `usageMetadata`. Gemini has no
 * terminator event: the end of the body ends the stream.
 */
import type { FinishReason, StreamEvent, Usage } from '../../core/chat-response.js';
import { callArgs, encodeGeminiUsage, geminiFinishReason } from './encode-gemini-response.js';

type Json = Record<string, unknown>;

export class GeminiStreamEncoder {
  private readonly calls = new Map<number, { id: string; name: string; args: string }>();
  private finishReason: FinishReason = 'stop';
  private usage: Usage | undefined;
  private model = '';
  private id = '';

  encode(events: StreamEvent[]): string {
    const parts: Json[] = [];
    for (const event of events) {
      switch (event.type) {
        case 'start':
          this.model = event.model;
          this.id = event.id;
          break;
        case 'text_delta':
          parts.push(...this.flushCalls(), { text: event.text });
          break;
        case 'thinking_delta':
          parts.push(...this.flushCalls(), { text: event.text, thought: true });
          break;
        case 'tool_call_start':
          parts.push(...this.flushCalls());
          this.calls.set(event.index, { id: event.id, name: event.name, args: '' });
          break;
        case 'tool_call_delta': {
          const call = this.calls.get(event.index);
          if (call !== undefined) call.args += event.argumentsDelta;
          break;
        }
        case 'finish':
          this.finishReason = event.finishReason;
          parts.push(...this.flushCalls());
          break;
        case 'usage':
          this.usage = event.usage;
          break;
        case 'thinking_signature':
          break;
      }
    }
    return parts.length === 0 ? '' : this.chunk({ content: { role: 'model', parts }, index: 0 });
  }

  /** The last chunk: any call still open, the finish reason and the usage. */
  finish(): string {
    const candidate: Json = { content: { role: 'model', parts: this.flushCalls() }, finishReason: geminiFinishReason(this.finishReason), index: 0 };
    return this.chunk(candidate, this.usage === undefined ? undefined : encodeGeminiUsage(this.usage));
  }

  private flushCalls(): Json[] {
    const parts = [...this.calls.values()].map((call) => ({ functionCall: { id: call.id, name: call.name, args: callArgs(call.args) } }));
    this.calls.clear();
    return parts;
  }

  private chunk(candidate: Json, usage?: Json): string {
    const body: Json = { candidates: [candidate] };
    if (usage !== undefined) body['usageMetadata'] = usage;
    if (this.model !== '') body['modelVersion'] = this.model;
    if (this.id !== '') body['responseId'] = this.id;
    return `data: ${JSON.stringify(body)}\n\n`;
  }
}
