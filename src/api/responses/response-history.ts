/**
 * Conversation state for the Responses surface: what Keel keeps of a response it served, and how a later
 * `previous_response_id` becomes input again. The earlier turn's output items are turned into plain input
 * items — an assistant message with its text, each `function_call` with its call id — without the ids
 * the answering provider gave them, because the next turn may go to another provider (OpenAI refuses
 * item ids it never issued). Reasoning items are left out for the same reason: only their author can
 * read them back. An `item_reference` to an item Keel served (the AI SDK sends them for earlier assistant
 * turns) is replaced by the item itself, found through the response its id names.
 */
import { z } from 'zod';
import type { StoredResponse } from '../../store/store.js';
import { responseIdOfItem, type Json } from './encode-responses-response.js';
import type { InputItem } from './responses-request-schema.js';

const outputItem = z.looseObject({ type: z.string() });
const storedOutput = z.looseObject({ id: z.string(), created_at: z.number().optional(), output: z.array(outputItem).catch([]) });
const messageContent = z.array(z.looseObject({ type: z.string(), text: z.string().optional(), refusal: z.string().optional() })).catch([]);
const functionCall = z.looseObject({ call_id: z.string(), name: z.string(), arguments: z.string() });

/** The input items a response's output becomes in the next turn. */
export function outputAsInput(output: readonly Record<string, unknown>[]): InputItem[] {
  const items: InputItem[] = [];
  for (const item of output) {
    if (item['type'] === 'message') {
      const content = messageContent.parse(item['content']).map((part) =>
        part.type === 'refusal' ? { type: 'refusal', refusal: part.refusal ?? '' } : { type: 'output_text', text: part.text ?? '' },
      );
      items.push({ type: 'message', role: 'assistant', content });
    } else if (item['type'] === 'function_call') {
      const call = functionCall.safeParse(item);
      if (call.success) items.push({ type: 'function_call', call_id: call.data.call_id, name: call.data.name, arguments: call.data.arguments });
    } else if (item['type'] !== 'reasoning') {
      // Built-in tool calls (web search...) stay as they were: only an OpenAI deployment can take them.
      items.push(item as InputItem);
    }
  }
  return items;
}

/** Every input item of the conversation a stored response ends, its own output last. */
export function historyItems(stored: StoredResponse): InputItem[] {
  const parsed = storedOutput.safeParse(stored.response);
  return [...(stored.items as InputItem[]), ...outputAsInput(parsed.success ? parsed.data.output : [])];
}

/** What the store keeps of a response served to `tenant`, continuing the conversation in `items`. */
export function storedResponseOf(response: Json, tenant: string, items: InputItem[]): StoredResponse {
  const parsed = storedOutput.parse(response);
  const createdAt = parsed.created_at === undefined ? Date.now() : parsed.created_at * 1000;
  return { id: parsed.id, tenant, createdAt, response, items };
}

/**
 * The input with each `item_reference` to an output item Keel served replaced by that item; `resolved`
 * is false when nothing was replaced. A reference Keel cannot resolve stays: OpenAI may know it.
 */
export async function resolveItemReferences(
  input: unknown,
  find: (responseId: string) => Promise<StoredResponse | undefined>,
): Promise<{ input: unknown; resolved: boolean }> {
  if (!Array.isArray(input) || !input.some(isReference)) return { input, resolved: false };
  const out: unknown[] = [];
  let resolved = false;
  for (const item of input) {
    const responseId = isReference(item) ? responseIdOfItem(item.id) : undefined;
    const stored = responseId === undefined ? undefined : await find(responseId);
    const parsed = storedOutput.safeParse(stored?.response);
    const found = parsed.success ? parsed.data.output.find((o) => o['id'] === (item as { id: string }).id) : undefined;
    if (found === undefined) {
      out.push(item);
      continue;
    }
    out.push(...outputAsInput([found]));
    resolved = true;
  }
  return { input: out, resolved };
}

function isReference(item: unknown): item is { type: 'item_reference'; id: string } {
  return item !== null && typeof item === 'object' && (item as Json)['type'] === 'item_reference' && typeof (item as Json)['id'] === 'string';
}
