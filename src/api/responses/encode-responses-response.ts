/**
 * Canonical answer → OpenAI Responses `response` object, for Responses clients answered by a deployment
 * of another format (and for the final event of a translated stream). The object echoes the request's
 * settings (instructions, tools, text format, metadata...) as OpenAI does, so a client reading them back
 * sees what it sent; output items are a message with `output_text`, one `function_call` per tool call,
 * and a `reasoning` item for thinking. A length stop is `incomplete`, as OpenAI reports it.
 */
import { randomBytes } from 'node:crypto';
import type { AssistantContentPart } from '../../core/chat-request.js';
import type { ChatResponse, FinishReason, Usage } from '../../core/chat-response.js';
import type { ResponsesRequest } from './responses-request-schema.js';

export type Json = Record<string, unknown>;

/** A response id in OpenAI's style: `resp_` and 48 hex characters. */
export function newResponseId(): string {
  return `resp_${randomBytes(24).toString('hex')}`;
}

/**
 * An output item's id (`msg_…`, `fc_…`, `rs_…`): its response's hex and its place in the output, so a
 * client's later `item_reference` to it leads Keel back to the stored response that holds it.
 */
export function outputItemId(prefix: 'msg' | 'fc' | 'rs', responseId: string, outputIndex: number): string {
  return `${prefix}_${responseId.slice('resp_'.length)}${outputIndex.toString(16).padStart(4, '0')}`;
}

const ITEM_ID = /^(?:msg|fc|rs)_([0-9a-f]{48})[0-9a-f]{4}$/;

/** The response an output item id of Keel's belongs to; undefined for ids Keel did not make. */
export function responseIdOfItem(itemId: string): string | undefined {
  const hex = ITEM_ID.exec(itemId)?.[1];
  return hex === undefined ? undefined : `resp_${hex}`;
}

export function encodeResponsesUsage(usage: Usage): Json {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** `status` and `incomplete_details` for how the answer ended. */
export function endOf(reason: FinishReason | undefined): { status: 'completed' | 'incomplete'; incomplete_details: Json | null } {
  if (reason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (reason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export interface Envelope {
  id: string;
  createdAt: number;
  model: string;
  params: ResponsesRequest;
}

/** The `response` object around the output, with the request's settings echoed back. */
export function responseObject(envelope: Envelope, fields: { status: string; output: Json[]; usage: Json | null; error?: Json | null; incomplete_details?: Json | null }): Json {
  const p = envelope.params;
  return {
    id: envelope.id,
    object: 'response',
    created_at: envelope.createdAt,
    status: fields.status,
    background: false,
    error: fields.error ?? null,
    incomplete_details: fields.incomplete_details ?? null,
    instructions: p.instructions ?? null,
    max_output_tokens: p.max_output_tokens ?? null,
    max_tool_calls: null,
    model: envelope.model,
    output: fields.output,
    parallel_tool_calls: p.parallel_tool_calls ?? true,
    previous_response_id: p.previous_response_id ?? null,
    reasoning: { effort: p.reasoning?.effort ?? null, summary: p.reasoning?.summary ?? null },
    service_tier: 'default',
    store: p.store ?? true,
    temperature: p.temperature ?? 1,
    text: { format: p.text?.format ?? { type: 'text' } },
    tool_choice: p.tool_choice ?? 'auto',
    tools: (p.tools ?? []).map((t) => (t.type === 'function' ? { strict: true, description: null, parameters: null, ...t } : t)),
    top_p: p.top_p ?? 1,
    truncation: 'disabled',
    usage: fields.usage,
    user: p.user ?? null,
    metadata: p.metadata ?? {},
  };
}

export function messageItem(id: string, text: string, status: string): Json {
  return { id, type: 'message', status, role: 'assistant', content: [outputTextPart(text)] };
}

export function outputTextPart(text: string): Json {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: string): Json {
  return { id, type: 'function_call', status, arguments: args, call_id: callId, name };
}

export function reasoningItem(id: string, text: string): Json {
  return { id, type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text }] };
}

/** Output items for canonical content, in order: consecutive text joins one message, as OpenAI emits it. */
export function outputItems(content: AssistantContentPart[], responseId: string): Json[] {
  const items: Json[] = [];
  let message: string | undefined;
  const flush = (): void => {
    if (message !== undefined) items.push(messageItem(outputItemId('msg', responseId, items.length), message, 'completed'));
    message = undefined;
  };
  for (const part of content) {
    if (part.type === 'text') {
      message = (message ?? '') + part.text;
      continue;
    }
    flush();
    if (part.type === 'tool_call') items.push(functionCallItem(outputItemId('fc', responseId, items.length), part.id, part.name, part.arguments, 'completed'));
    else if (part.redactedData === undefined) items.push(reasoningItem(outputItemId('rs', responseId, items.length), part.text));
  }
  flush();
  return items;
}

export function encodeResponsesResponse(response: ChatResponse, envelope: Envelope): Json {
  return responseObject(envelope, { ...endOf(response.finishReason), output: outputItems(response.content, envelope.id), usage: encodeResponsesUsage(response.usage) });
}
