/**
 * Watches an OpenAI-format SSE stream event by event: decodes each chunk into canonical events, keeps the
 * verbatim event for same-format forwarding, and tracks whether the answer is complete. It is the judge
 * of how a stream ended: `[DONE]`, or every choice finished and usage arrived (Keel always asks for it) — a provider
 * that forgets `[DONE]` is finalised at once instead of waiting for a timeout — or cut short. A malformed
 * event is dropped (never forwarded: it would crash the client's parser); an in-stream `error` object is
 * a classified failure.
 */
import type { StreamEvent } from '../../core/chat-response.js';
import type { UpstreamFailure } from '../types.js';
import type { WatchedEvent } from '../http/sse-items.js';
import { safeMessage } from '../http/upstream-request.js';
import { decodeOpenAIUsage } from './decode-openai-response.js';
import { isOpenAIQuotaExhausted } from './openai-error.js';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { ChunkMemo, scanTextChunk, scanWholeChunk } from './openai-chunk-scan.js';
import { readOpenAIChunk, type OpenAIChunkDelta, type OpenAIChunkView } from './openai-wire-check.js';
import { openaiErrorBody } from './openai-wire.js';

export class OpenAIStreamDecoder {
  private started = false;
  private textBlock: number | undefined;
  private reasoningBlock: number | undefined;
  /** Tool call index → block, made at the first tool call (most streams have none). */
  private toolBlocks: Map<number, number> | undefined;
  private nextBlock = 0;
  /** Made at the first finish: an open stream that waits on its model holds no set. */
  private finishedChoices: Set<number> | undefined;
  private usageSeen = false;
  /** The text this stream's chunks repeat, for the scan. */
  private memo: ChunkMemo | undefined;
  malformedEvents = 0;

  constructor(
    private readonly expectedChoices: number,
    /**
     * The client asked for the usage chunk. When Keel asked for it on a client's behalf (see the provider),
     * the chunk is decoded but not forwarded: it has no choices, and a client that never asked for it may
     * read `choices[0]` of every chunk.
     */
    private readonly forwardUsage = true,
  ) {}

  /** Every choice has finished and the usage arrived: nothing more is needed. */
  get complete(): boolean {
    return this.finished && this.usageSeen;
  }

  /** At least one choice finished: an answer cut after this point lost only its terminator. */
  get finished(): boolean {
    return (this.finishedChoices?.size ?? 0) >= this.expectedChoices;
  }

  push(data: string): WatchedEvent {
    if (data === '[DONE]') return { events: [], done: true };
    // The common chunk is scanned rather than parsed; what the scan does not read itself is parsed. Until
    // the answer opens, each chunk meets a new memo and so is read whole, id, model and created included:
    // with an earlier chunk's memo (Azure's choice-less first chunk) it could be read from its choices on.
    if (!this.started) this.memo = new ChunkMemo();
    else {
      // Most of a stream: a chunk of text alone, read as its one string.
      const text = scanTextChunk(data, this.memo!);
      if (text !== undefined) return { events: text === '' ? [] : [{ type: 'text_delta', index: (this.textBlock ??= this.nextBlock++), text }], raw: `data: ${data}\n\n` };
    }
    let chunk = scanWholeChunk(data, this.memo!);
    if (chunk === undefined) {
      const parsed = this.parse(data);
      if ('rejected' in parsed) return parsed.rejected;
      chunk = parsed.chunk;
    }
    const choices = chunk.choices ?? [];
    // Azure OpenAI opens a stream with a chunk of `prompt_filter_results` and no choices: nothing an OpenAI
    // client can read (and a crash for clients that index choices[0]), so it is neither decoded nor forwarded.
    if (choices.length === 0 && !chunk.usage) return { events: [] };
    const events: StreamEvent[] = [];
    if (!this.started) {
      this.started = true;
      events.push({ type: 'start', id: chunk.id ?? '', model: chunk.model ?? '', created: chunk.created ?? Math.floor(Date.now() / 1000) });
    }
    for (const choice of choices) {
      const index = choice.index ?? 0;
      if (index === 0 && choice.delta !== undefined) this.decodeDelta(choice.delta, events);
      if (choice.finish_reason) {
        (this.finishedChoices ??= new Set()).add(index);
        if (index === 0) events.push({ type: 'finish', finishReason: mapOpenAIFinishReason(choice.finish_reason) });
      }
    }
    if (chunk.usage) {
      this.usageSeen = true;
      events.push({ type: 'usage', usage: decodeOpenAIUsage(chunk.usage) });
      if (choices.length === 0 && !this.forwardUsage) return { events };
    }
    return { events, raw: `data: ${data}\n\n` };
  }

  /** The chunk, parsed and checked; or, when it is not one, what the stream makes of it (dropped, or a failure). */
  private parse(data: string): { chunk: OpenAIChunkView } | { rejected: WatchedEvent } {
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.malformedEvents += 1;
      return { rejected: { events: [] } };
    }
    if (json !== null && typeof json === 'object' && 'error' in json) return { rejected: { events: [], failure: this.inStreamFailure(json) } };
    const chunk = readOpenAIChunk(json);
    if (chunk !== undefined) return { chunk };
    this.malformedEvents += 1;
    return { rejected: { events: [] } };
  }

  private decodeDelta(delta: OpenAIChunkDelta, events: StreamEvent[]): void {
    if (delta.reasoning_content) {
      this.reasoningBlock ??= this.nextBlock++;
      events.push({ type: 'thinking_delta', index: this.reasoningBlock, text: delta.reasoning_content });
    }
    const text = delta.content ?? delta.refusal;
    if (text) {
      this.textBlock ??= this.nextBlock++;
      events.push({ type: 'text_delta', index: this.textBlock, text });
    }
    for (const call of delta.tool_calls ?? []) {
      const callIndex = call.index ?? 0;
      const blocks = (this.toolBlocks ??= new Map());
      let block = blocks.get(callIndex);
      if (block === undefined) {
        block = this.nextBlock++;
        blocks.set(callIndex, block);
        events.push({ type: 'tool_call_start', index: block, id: call.id ?? `call_${block}`, name: call.function?.name ?? '' });
      }
      if (call.function?.arguments) events.push({ type: 'tool_call_delta', index: block, argumentsDelta: call.function.arguments });
    }
  }

  private inStreamFailure(json: unknown): UpstreamFailure {
    const parsed = openaiErrorBody.safeParse(json);
    const error = parsed.success ? parsed.data.error : {};
    const kind = `${error.type ?? ''} ${error.code ?? ''}`;
    const message = error.message ?? 'the provider sent an error mid-stream';
    const quota = isOpenAIQuotaExhausted(error.type ?? undefined, error.code == null ? undefined : String(error.code), message);
    const outcome = quota || /rate_limit/.test(kind) ? 'rate_limited' : /overload/.test(kind) ? 'overloaded' : 'server_error';
    const failure: UpstreamFailure = { outcome, message: safeMessage(message) };
    if (quota) failure.quotaExhausted = true;
    if (error.type) failure.providerType = error.type;
    if (error.code != null) failure.providerCode = String(error.code);
    return failure;
  }
}
