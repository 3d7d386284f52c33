/**
 * Watches a Gemini `alt=sse` stream chunk by chunk. Each chunk is a whole `GenerateContentResponse`
 * holding the next piece of the answer: text parts extend one text block, thought parts one thinking
 * block, and each function call arrives whole (a tool-call start and its full arguments at once).
 * Gemini streams have no terminator: the answer is finished once a chunk carries a `finishReason`, and a
 * body that ends before that was cut. A malformed chunk is dropped and counted; an `{error}` chunk is a
 * failure classified like the HTTP error; a filter that blocked the prompt or the answer before any
 * content is a `content_filter` failure, as in a JSON answer.
 */
import type { StreamEvent } from '../../core/chat-response.js';
import type { WatchedEvent } from '../http/sse-items.js';
import { blockedAnswerFailure, blockedPromptFailure, decodeGeminiUsage, newResponseId, toolCallIds } from './decode-gemini-response.js';
import { classifyGeminiStreamError, readGeminiError } from './gemini-error.js';
import { isFilteredFinish, mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { geminiResponse, type GeminiUsage } from './gemini-wire.js';

export class GeminiStreamDecoder {
  private started = false;
  private textBlock: number | undefined;
  private thinkingBlock: number | undefined;
  private nextBlock = 0;
  private sawToolCalls = false;
  private usage: GeminiUsage | undefined;
  private readonly idFor = toolCallIds();
  private finishReason: string | undefined;
  malformedEvents = 0;

  constructor(private readonly deployment: { id: string; model: string }) {}

  /** A chunk carried a finish reason: the answer is whole, whatever follows. */
  get finished(): boolean {
    return this.finishReason !== undefined;
  }

  /** Usage may follow the finish reason: a Gemini stream is read to the end of its body, its only terminator. */
  readonly complete = false;

  push(data: string): WatchedEvent {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return this.malformed();
    }
    if (json !== null && typeof json === 'object' && 'error' in json) {
      const error = readGeminiError(json);
      return { events: [], failure: classifyGeminiStreamError(error ?? {}) };
    }
    const parsed = geminiResponse.safeParse(json);
    if (!parsed.success) return this.malformed();
    const chunk = parsed.data;
    const blocked = blockedPromptFailure(chunk, this.deployment.id);
    if (blocked !== undefined) return { events: [], failure: blocked };

    const events: StreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      events.push({ type: 'start', id: chunk.responseId ?? newResponseId(), model: chunk.modelVersion ?? this.deployment.model, created: Math.floor(Date.now() / 1000) });
      // Gemini counts the prompt from the first chunk on: passed on at once, before any content, so a
      // client reading input tokens at the start of a stream (Anthropic's message_start) gets the real count.
      if (chunk.usageMetadata?.promptTokenCount !== undefined) events.push({ type: 'usage', usage: { inputTokens: chunk.usageMetadata.promptTokenCount, outputTokens: 0 } });
    }
    const candidate = chunk.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall !== undefined) {
        const index = this.nextBlock++;
        this.sawToolCalls = true;
        events.push({ type: 'tool_call_start', index, id: this.idFor(part.functionCall.id), name: part.functionCall.name });
        events.push({ type: 'tool_call_delta', index, argumentsDelta: JSON.stringify(part.functionCall.args ?? {}) });
      } else if (part.text !== undefined && part.text !== '') {
        if (part.thought === true) {
          this.thinkingBlock ??= this.nextBlock++;
          events.push({ type: 'thinking_delta', index: this.thinkingBlock, text: part.text });
        } else {
          this.textBlock ??= this.nextBlock++;
          events.push({ type: 'text_delta', index: this.textBlock, text: part.text });
        }
      }
    }
    if (chunk.usageMetadata !== undefined) this.usage = chunk.usageMetadata;
    const reason = candidate?.finishReason;
    if (reason !== undefined && !this.finished) {
      if (this.nextBlock === 0 && isFilteredFinish(reason)) return { events: [], failure: blockedAnswerFailure(reason, this.deployment.id) };
      this.finishReason = reason;
      events.push({ type: 'finish', finishReason: mapGeminiFinishReason(reason, this.sawToolCalls) });
      events.push({ type: 'usage', usage: decodeGeminiUsage(this.usage) });
    } else if (this.finished && chunk.usageMetadata !== undefined) {
      // Usage refined after the finish: the last word counts.
      events.push({ type: 'usage', usage: decodeGeminiUsage(this.usage) });
    }
    return { events, raw: `data: ${data.split('\n').join('\ndata: ')}\n\n` };
  }

  private malformed(): WatchedEvent {
    this.malformedEvents += 1;
    return { events: [] };
  }
}
