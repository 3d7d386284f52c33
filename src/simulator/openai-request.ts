/**
 * Reads an OpenAI Chat Completions request body into a `NeutralRequest`: message text and images,
 * trailing tool results (named through the assistant's earlier tool calls), tools and tool choice,
 * max tokens, stop sequences, JSON mode and `stream_options.include_usage`.
 */
import { InvalidRequestError } from './format-codec.js';
import { asArray, asNumber, asString, asStringList, isRecord } from './json-shape.js';
import type { NeutralRequest, NeutralTool, ToolChoice } from './reply-plan.js';

interface ContentSummary {
  text: string;
  images: number;
}

/** Content is a string or a list of parts (text, image_url, input_audio, file, refusal). */
function readContent(content: unknown): ContentSummary {
  if (typeof content === 'string') return { text: content, images: 0 };
  const texts: string[] = [];
  let images = 0;
  for (const part of asArray(content)) {
    if (!isRecord(part)) continue;
    if (part['type'] === 'text') texts.push(asString(part['text']) ?? '');
    else if (part['type'] === 'refusal') texts.push(asString(part['refusal']) ?? '');
    else if (part['type'] === 'image_url') images += 1;
  }
  return { text: texts.join(' '), images };
}

function readTools(body: Record<string, unknown>): NeutralTool[] {
  const tools: NeutralTool[] = [];
  for (const tool of asArray(body['tools'])) {
    if (!isRecord(tool) || !isRecord(tool['function'])) continue;
    const name = asString(tool['function']['name']);
    if (name !== undefined) tools.push({ name, schema: tool['function']['parameters'] });
  }
  // The deprecated `functions` list still works against the real API.
  for (const fn of asArray(body['functions'])) {
    const name = isRecord(fn) ? asString(fn['name']) : undefined;
    if (isRecord(fn) && name !== undefined) tools.push({ name, schema: fn['parameters'] });
  }
  return tools;
}

function readToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none' || choice === 'required') return { type: choice };
  if (isRecord(choice)) {
    // `{type: 'function', function: {name}}`, or the legacy `function_call: {name}`.
    const fn = isRecord(choice['function']) ? choice['function'] : choice;
    const name = asString(fn['name']);
    if (name !== undefined) return { type: 'tool', name };
  }
  return { type: 'auto' };
}

export function readOpenAIRequest(body: unknown, target: { stream: boolean }): NeutralRequest {
  if (!isRecord(body)) throw new InvalidRequestError('The request body must be a JSON object.');
  const model = asString(body['model']);
  if (model === undefined || model === '') {
    throw new InvalidRequestError('you must provide a model parameter', 'model');
  }
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new InvalidRequestError("Invalid 'messages': empty array. Expected an array with minimum length 1.", 'messages');
  }

  let inputChars = 0;
  let imageCount = 0;
  let lastUserText = '';
  const toolNames = new Map<string, string>();
  messages.forEach((message, index) => {
    if (!isRecord(message) || typeof message['role'] !== 'string') {
      throw new InvalidRequestError(`Invalid value for 'messages[${index}]': expected an object with a role.`, `messages[${index}]`);
    }
    const { text, images } = readContent(message['content']);
    inputChars += text.length;
    imageCount += images;
    if (message['role'] === 'user') lastUserText = text;
    for (const call of asArray(message['tool_calls'])) {
      if (!isRecord(call) || !isRecord(call['function'])) continue;
      const id = asString(call['id']);
      const name = asString(call['function']['name']);
      if (id !== undefined && name !== undefined) toolNames.set(id, name);
      inputChars += (asString(call['function']['arguments']) ?? '').length;
    }
  });

  // A run of tool (or legacy function) messages at the end is the answer to the assistant's calls.
  const toolResults: { name: string; text: string }[] = [];
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message: unknown = messages[index];
    if (!isRecord(message) || (message['role'] !== 'tool' && message['role'] !== 'function')) break;
    const id = asString(message['tool_call_id']) ?? '';
    const name = asString(message['name']) ?? toolNames.get(id) ?? id;
    toolResults.unshift({ name, text: readContent(message['content']).text });
  }

  const lastMessage: unknown = messages.at(-1);
  const responseFormat = body['response_format'];
  const formatType = isRecord(responseFormat) ? responseFormat['type'] : undefined;
  const streamOptions = body['stream_options'];
  const maxTokens = asNumber(body['max_completion_tokens']) ?? asNumber(body['max_tokens']) ?? null;
  return {
    model,
    stream: target.stream,
    streamUsage: isRecord(streamOptions) && streamOptions['include_usage'] === true,
    inputChars,
    lastUserText,
    endsWithUser: isRecord(lastMessage) && lastMessage['role'] === 'user',
    toolResults,
    imageCount,
    tools: readTools(body),
    toolChoice: readToolChoice(body['tool_choice'] ?? body['function_call']),
    maxTokens,
    stopSequences: asStringList(body['stop']),
    jsonMode: formatType === 'json_object' || formatType === 'json_schema',
    ...(formatType === 'json_schema' && isRecord(responseFormat) && isRecord(responseFormat['json_schema']) ? { jsonSchema: responseFormat['json_schema']['schema'] } : {}),
    thinking: false,
  };
}
