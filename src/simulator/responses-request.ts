/**
 * Reads an OpenAI Responses request body into a `NeutralRequest`: `input` as a string or a list of items
 * (messages with text and image parts, `function_call`, `function_call_output`), `instructions`,
 * function tools and tool choice, `max_output_tokens` and `text.format` (a JSON schema is honoured). A run of `function_call_output`
 * items at the end is the answer to the model's calls, named through the `function_call` items before it.
 */
import { InvalidRequestError } from './format-codec.js';
import { asArray, asNumber, asString, isRecord } from './json-shape.js';
import type { NeutralRequest, NeutralTool, ToolChoice } from './reply-plan.js';

function readContent(content: unknown): { text: string; images: number } {
  if (typeof content === 'string') return { text: content, images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of asArray(content)) {
    if (!isRecord(part)) continue;
    if (part['type'] === 'input_text' || part['type'] === 'output_text') texts.push(asString(part['text']) ?? '');
    else if (part['type'] === 'input_image') images += 1;
  }
  return { text: texts.join(' '), images };
}

function readTools(body: Record<string, unknown>): NeutralTool[] {
  const tools: NeutralTool[] = [];
  for (const tool of asArray(body['tools'])) {
    if (!isRecord(tool) || tool['type'] !== 'function') continue;
    const name = asString(tool['name']);
    if (name !== undefined) tools.push({ name, schema: tool['parameters'] });
  }
  return tools;
}

function readToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'required') return { type: choice };
  if (isRecord(choice) && choice['type'] === 'function') {
    const name = asString(choice['name']);
    if (name !== undefined) return { type: 'tool', name };
  }
  return { type: 'auto' };
}

export function readResponsesRequest(body: unknown, target: { stream: boolean }): NeutralRequest {
  if (!isRecord(body)) throw new InvalidRequestError('The request body must be a JSON object.');
  const model = asString(body['model']);
  if (model === undefined || model === '') throw new InvalidRequestError("Missing required parameter: 'model'.", 'model');
  const input = body['input'];
  const items: unknown[] = typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : asArray(input);
  if (items.length === 0) throw new InvalidRequestError("Missing required parameter: 'input'.", 'input');

  let inputChars = (asString(body['instructions']) ?? '').length;
  let imageCount = 0;
  let lastUserText = '';
  const toolNames = new Map<string, string>();
  items.forEach((item, index) => {
    if (!isRecord(item)) throw new InvalidRequestError(`Invalid value for 'input[${index}]': expected an object.`, `input[${index}]`);
    const type = item['type'] ?? 'message';
    if (type === 'message') {
      const { text, images } = readContent(item['content']);
      inputChars += text.length;
      imageCount += images;
      if (item['role'] === 'user') lastUserText = text;
    } else if (type === 'function_call') {
      const callId = asString(item['call_id']);
      const name = asString(item['name']);
      if (callId === undefined || name === undefined) throw new InvalidRequestError(`Missing required parameter: 'input[${index}].call_id'.`, `input[${index}].call_id`);
      toolNames.set(callId, name);
      inputChars += (asString(item['arguments']) ?? '').length;
    } else if (type === 'function_call_output') {
      const callId = asString(item['call_id']);
      if (callId === undefined) throw new InvalidRequestError(`Missing required parameter: 'input[${index}].call_id'.`, `input[${index}].call_id`);
      inputChars += readContent(item['output']).text.length;
    }
  });

  const toolResults: { name: string; text: string }[] = [];
  for (let index = items.length - 1; index >= 0; index -= 1) {
    const item = items[index];
    if (!isRecord(item) || item['type'] !== 'function_call_output') break;
    const callId = asString(item['call_id']) ?? '';
    toolResults.unshift({ name: toolNames.get(callId) ?? callId, text: readContent(item['output']).text });
  }
  const last = items.at(-1);
  const text = body['text'];
  const formatType = isRecord(text) && isRecord(text['format']) ? text['format']['type'] : undefined;
  return {
    model,
    stream: target.stream,
    streamUsage: true,
    inputChars,
    lastUserText,
    endsWithUser: isRecord(last) && (last['type'] ?? 'message') === 'message' && last['role'] === 'user',
    toolResults,
    imageCount,
    tools: readTools(body),
    toolChoice: readToolChoice(body['tool_choice']),
    maxTokens: asNumber(body['max_output_tokens']) ?? null,
    stopSequences: [],
    jsonMode: formatType === 'json_object' || formatType === 'json_schema',
    ...(formatType === 'json_schema' && isRecord(text) && isRecord(text['format']) ? { jsonSchema: text['format']['schema'] } : {}),
    thinking: false,
    echo: body,
  };
}
