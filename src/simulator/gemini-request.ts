/**
 * Reads a Gemini `generateContent` body into a `NeutralRequest`. The model comes from the URL path; the
 * body holds `contents` (parts: text, inlineData, fileData, functionCall, functionResponse),
 * `systemInstruction`, `tools[].functionDeclarations`, `toolConfig` and `generationConfig`.
 */
import { InvalidRequestError } from './format-codec.js';
import { asArray, asNumber, asString, asStringList, isRecord } from './json-shape.js';
import type { NeutralRequest, NeutralTool, ToolChoice } from './reply-plan.js';

interface PartsSummary {
  text: string;
  images: number;
  toolResults: { name: string; text: string }[];
}

function isImage(media: unknown): boolean {
  const mimeType = isRecord(media) ? asString(media['mimeType']) : undefined;
  return mimeType === undefined || mimeType.startsWith('image/');
}

function readParts(parts: unknown): PartsSummary {
  const texts: string[] = [];
  const toolResults: { name: string; text: string }[] = [];
  let images = 0;
  for (const part of asArray(parts)) {
    if (!isRecord(part)) continue;
    const text = asString(part['text']);
    if (text !== undefined) texts.push(text);
    if ('inlineData' in part && isImage(part['inlineData'])) images += 1;
    if ('fileData' in part && isImage(part['fileData'])) images += 1;
    const call = part['functionCall'];
    if (isRecord(call)) texts.push(JSON.stringify(call['args'] ?? {}));
    const response = part['functionResponse'];
    if (isRecord(response)) {
      toolResults.push({ name: asString(response['name']) ?? '', text: JSON.stringify(response['response'] ?? {}) });
    }
  }
  return { text: [...texts, ...toolResults.map((r) => r.text)].join(' '), images, toolResults };
}

function readTools(tools: unknown): NeutralTool[] {
  const out: NeutralTool[] = [];
  for (const tool of asArray(tools)) {
    if (!isRecord(tool)) continue;
    for (const declaration of asArray(tool['functionDeclarations'])) {
      const name = isRecord(declaration) ? asString(declaration['name']) : undefined;
      if (!isRecord(declaration) || name === undefined) continue;
      out.push({ name, schema: declaration['parameters'] ?? declaration['parametersJsonSchema'] });
    }
  }
  return out;
}

function readToolChoice(toolConfig: unknown): ToolChoice {
  const config = isRecord(toolConfig) ? toolConfig['functionCallingConfig'] : undefined;
  if (!isRecord(config)) return { type: 'auto' };
  if (config['mode'] === 'NONE') return { type: 'none' };
  if (config['mode'] === 'ANY') {
    const allowed = asStringList(config['allowedFunctionNames']);
    const first = allowed[0];
    return allowed.length === 1 && first !== undefined ? { type: 'tool', name: first } : { type: 'required' };
  }
  return { type: 'auto' };
}

export function readGeminiRequest(body: unknown, target: { model: string | null; stream: boolean }): NeutralRequest {
  if (!isRecord(body)) throw new InvalidRequestError('Invalid JSON payload received. Expected an object.');
  const contents = body['contents'];
  if (!Array.isArray(contents) || contents.length === 0) {
    throw new InvalidRequestError('* GenerateContentRequest.contents: contents is not specified\n');
  }
  const system = body['systemInstruction'];
  let inputChars = typeof system === 'string' ? system.length : readParts(isRecord(system) ? system['parts'] : []).text.length;
  let imageCount = 0;
  let lastUserText = '';
  let last: PartsSummary | null = null;
  for (const [index, content] of contents.entries()) {
    if (!isRecord(content)) {
      throw new InvalidRequestError(`Invalid value at 'contents[${index}]': expected a Content object.`);
    }
    const summary = readParts(content['parts']);
    inputChars += summary.text.length;
    imageCount += summary.images;
    // Function responses come back in a 'user' turn (older clients used role 'function').
    const isUser = content['role'] === undefined || content['role'] === 'user' || content['role'] === 'function';
    if (isUser && summary.toolResults.length === 0) lastUserText = summary.text;
    last = isUser ? summary : null;
  }

  const config = isRecord(body['generationConfig']) ? body['generationConfig'] : {};
  return {
    model: target.model ?? '',
    stream: target.stream,
    streamUsage: false,
    inputChars,
    lastUserText,
    endsWithUser: last !== null && last.toolResults.length === 0,
    toolResults: last?.toolResults ?? [],
    imageCount,
    tools: readTools(body['tools']),
    toolChoice: readToolChoice(body['toolConfig']),
    maxTokens: asNumber(config['maxOutputTokens']) ?? null,
    stopSequences: asStringList(config['stopSequences']),
    jsonMode: config['responseMimeType'] === 'application/json',
    ...(config['responseJsonSchema'] !== undefined || config['responseSchema'] !== undefined ? { jsonSchema: config['responseJsonSchema'] ?? config['responseSchema'] } : {}),
    thinking: false,
  };
}
