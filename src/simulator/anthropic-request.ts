/**
 * Reads an Anthropic Messages request body into a `NeutralRequest`, enforcing the fields the real API
 * requires (`model`, `max_tokens`, non-empty `messages`). Tool results in the last user turn are named
 * through the `tool_use` blocks of earlier assistant turns.
 */
import { InvalidRequestError } from './format-codec.js';
import { asArray, asNumber, asString, asStringList, isRecord } from './json-shape.js';
import type { NeutralRequest, NeutralTool, ToolChoice } from './reply-plan.js';

interface ContentSummary {
  text: string;
  images: number;
  toolResults: { id: string; text: string }[];
}

/** Content is a string or blocks: text, image, document, tool_use, tool_result, thinking. */
function readContent(content: unknown, toolNames: Map<string, string>): ContentSummary {
  if (typeof content === 'string') return { text: content, images: 0, toolResults: [] };
  const texts: string[] = [];
  const toolResults: { id: string; text: string }[] = [];
  let images = 0;
  for (const block of asArray(content)) {
    if (!isRecord(block)) continue;
    switch (block['type']) {
      case 'text':
        texts.push(asString(block['text']) ?? '');
        break;
      case 'image':
        images += 1;
        break;
      case 'tool_use': {
        const id = asString(block['id']);
        const name = asString(block['name']);
        if (id !== undefined && name !== undefined) toolNames.set(id, name);
        texts.push(JSON.stringify(block['input'] ?? {}));
        break;
      }
      case 'tool_result': {
        const inner = readContent(block['content'], toolNames);
        images += inner.images;
        toolResults.push({ id: asString(block['tool_use_id']) ?? '', text: inner.text });
        break;
      }
      case 'thinking':
        texts.push(asString(block['thinking']) ?? '');
        break;
    }
  }
  return { text: [...texts, ...toolResults.map((r) => r.text)].join(' '), images, toolResults };
}

function readSystem(system: unknown): string {
  if (typeof system === 'string') return system;
  return asArray(system)
    .map((block) => (isRecord(block) ? asString(block['text']) ?? '' : ''))
    .join(' ');
}

function readTools(tools: unknown): NeutralTool[] {
  const out: NeutralTool[] = [];
  for (const tool of asArray(tools)) {
    const name = isRecord(tool) ? asString(tool['name']) : undefined;
    if (isRecord(tool) && name !== undefined) out.push({ name, schema: tool['input_schema'] });
  }
  return out;
}

function readToolChoice(choice: unknown): ToolChoice {
  if (!isRecord(choice)) return { type: 'auto' };
  const name = asString(choice['name']);
  if (choice['type'] === 'tool' && name !== undefined) return { type: 'tool', name };
  if (choice['type'] === 'any') return { type: 'required' };
  if (choice['type'] === 'none') return { type: 'none' };
  return { type: 'auto' };
}

export function readAnthropicRequest(body: unknown, target: { stream: boolean }): NeutralRequest {
  if (!isRecord(body)) throw new InvalidRequestError('Request body must be a JSON object');
  const model = asString(body['model']);
  if (model === undefined || model === '') throw new InvalidRequestError('model: Field required');
  const maxTokens = asNumber(body['max_tokens']);
  if (maxTokens === undefined) throw new InvalidRequestError('max_tokens: Field required');
  const messages = body['messages'];
  if (!Array.isArray(messages)) throw new InvalidRequestError('messages: Field required');
  if (messages.length === 0) throw new InvalidRequestError('messages: at least one message is required');
  const thinking = body['thinking'];
  const thinkingEnabled = isRecord(thinking) && thinking['type'] === 'enabled';
  if (thinkingEnabled) {
    const budget = asNumber(thinking['budget_tokens']);
    if (budget === undefined) throw new InvalidRequestError('thinking.enabled.budget_tokens: Field required');
    if (maxTokens <= budget) {
      throw new InvalidRequestError('`max_tokens` must be greater than `thinking.budget_tokens`.');
    }
  }

  const toolNames = new Map<string, string>();
  let inputChars = readSystem(body['system']).length;
  let imageCount = 0;
  let lastUserText = '';
  let last: ContentSummary | null = null;
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || (message['role'] !== 'user' && message['role'] !== 'assistant')) {
      throw new InvalidRequestError(`messages.${index}.role: Input should be 'user' or 'assistant'`);
    }
    const summary = readContent(message['content'], toolNames);
    inputChars += summary.text.length;
    imageCount += summary.images;
    if (message['role'] === 'user' && summary.toolResults.length === 0) lastUserText = summary.text;
    last = message['role'] === 'user' ? summary : null;
  }

  const toolResults = (last?.toolResults ?? []).map((result) => ({
    name: toolNames.get(result.id) ?? result.id,
    text: result.text,
  }));
  return {
    model,
    stream: target.stream,
    streamUsage: false,
    inputChars,
    lastUserText,
    endsWithUser: last !== null && last.toolResults.length === 0,
    toolResults,
    imageCount,
    tools: readTools(body['tools']),
    toolChoice: readToolChoice(body['tool_choice']),
    maxTokens,
    stopSequences: asStringList(body['stop_sequences']),
    jsonMode: false,
    thinking: thinkingEnabled,
  };
}
