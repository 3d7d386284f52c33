/**
 * Canonical request → Gemini `generateContent` body. There is no Gemini client surface, so every request
 * comes through here. Gemini differs from the canonical model in ways this module absorbs: the assistant
 * is the `model` role, tool results are `functionResponse` parts named by function (not by call id, so
 * the name is looked up from the call earlier in the conversation), tool arguments are JSON objects, and
 * schemas are an OpenAPI subset. What Gemini cannot take (image URLs, a recursive schema) is refused
 * with a `bad_request` naming the feature, never dropped.
 */
import { NotTranslatable, encodeOrRefuse, refuseFeature, toolArgumentsObject, type EncodeResult } from '../translation.js';
import type { AssistantContentPart, ChatRequest, Message, ToolChoice, UserContentPart } from '../../core/chat-request.js';
import type { Deployment } from '../../config/resolve-config.js';
import { convertToGeminiSchema, isEmptyObjectSchema, SchemaNotConvertible } from './convert-to-gemini-schema.js';

type Json = Record<string, unknown>;

/** Gemini's temperature range is 0..2, as OpenAI's; Anthropic-range values pass unchanged. */
const MAX_TEMPERATURE = 2;

/** Thinking budgets for an OpenAI-style `reasoning_effort` (Gemini 2.5's own low/medium/high presets). */
const EFFORT_BUDGET: Record<string, number> = { low: 1024, medium: 8192, high: 24_576 };

/**
 * Gemini 3 verifies a thought signature on the function calls of the current turn and refuses a turn
 * without one. Calls made by another provider (or whose signature the canonical model did not keep) have
 * none; Google documents this value as the way to send such history.
 */
const FOREIGN_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

export function encodeGeminiRequest(request: ChatRequest, deployment: Deployment): EncodeResult {
  return encodeOrRefuse(() => encode(request, deployment));
}

function refuse(feature: string, deployment: Deployment): never {
  return refuseFeature(feature, 'Gemini', deployment);
}

function schemaFor(schema: Record<string, unknown>, what: string, deployment: Deployment): Json {
  try {
    return convertToGeminiSchema(schema);
  } catch (err) {
    if (err instanceof SchemaNotConvertible) refuse(`${what} with ${err.message}`, deployment);
    throw err;
  }
}

function encode(request: ChatRequest, deployment: Deployment): Json {
  if (request.untranslatable.length > 0) refuse(request.untranslatable.join(', '), deployment);
  const body: Json = { contents: encodeContents(request.messages, deployment) };
  const system = request.system.filter((p) => p.text !== '').map((p) => ({ text: p.text }));
  if (system.length > 0) body['systemInstruction'] = { parts: system };

  if (request.tools.length > 0) {
    const functionDeclarations = request.tools.map((tool) => {
      const declaration: Json = { name: tool.name };
      if (tool.description !== undefined) declaration['description'] = tool.description;
      const parameters = schemaFor({ type: 'object', ...tool.parameters }, `the parameters schema of tool ${tool.name}`, deployment);
      // Gemini refuses an OBJECT without properties: a function without arguments has no schema at all.
      if (!isEmptyObjectSchema(parameters)) declaration['parameters'] = parameters;
      return declaration;
    });
    body['tools'] = [{ functionDeclarations }];
    if (request.toolChoice !== undefined) body['toolConfig'] = { functionCallingConfig: encodeToolChoice(request.toolChoice) };
  }

  const generationConfig = encodeGenerationConfig(request, deployment);
  if (Object.keys(generationConfig).length > 0) body['generationConfig'] = generationConfig;
  return body;
}

function encodeGenerationConfig(request: ChatRequest, deployment: Deployment): Json {
  const config: Json = {};
  const s = request.sampling;
  if (request.maxTokens !== undefined) config['maxOutputTokens'] = request.maxTokens;
  if (s.temperature !== undefined) config['temperature'] = Math.min(MAX_TEMPERATURE, Math.max(0, s.temperature));
  if (s.topP !== undefined) config['topP'] = s.topP;
  if (s.topK !== undefined) config['topK'] = s.topK;
  if (request.stop.length > 0) config['stopSequences'] = request.stop;
  if (s.seed !== undefined) config['seed'] = s.seed;
  if (s.presencePenalty !== undefined) config['presencePenalty'] = s.presencePenalty;
  if (s.frequencyPenalty !== undefined) config['frequencyPenalty'] = s.frequencyPenalty;
  const rf = request.responseFormat;
  if (rf !== undefined && rf.type !== 'text') {
    config['responseMimeType'] = 'application/json';
    if (rf.type === 'json_schema') config['responseSchema'] = schemaFor(rf.schema, `response_format json_schema ${rf.name}`, deployment);
  }
  const budget = request.reasoning?.budgetTokens ?? (request.reasoning?.effort === undefined ? undefined : EFFORT_BUDGET[request.reasoning.effort]);
  // Thought summaries are asked for whenever thinking is: the client asked to see reasoning.
  if (budget !== undefined) config['thinkingConfig'] = budget > 0 ? { thinkingBudget: budget, includeThoughts: true } : { thinkingBudget: 0 };
  return config;
}

function encodeToolChoice(choice: ToolChoice): Json {
  switch (choice.type) {
    case 'auto':
      return { mode: 'AUTO' };
    case 'none':
      return { mode: 'NONE' };
    case 'required':
      return { mode: 'ANY' };
    case 'tool':
      return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  }
}

function userParts(parts: UserContentPart[], where: string, deployment: Deployment): Json[] {
  const out: Json[] = [];
  for (const part of parts) {
    if (part.type === 'text') {
      if (part.text !== '') out.push({ text: part.text });
    } else if (part.source.kind === 'base64') {
      out.push({ inlineData: { mimeType: part.source.mediaType, data: part.source.data } });
    } else {
      // Gemini's fileData takes only files uploaded to Google, and Keel fetches nothing on a client's behalf.
      refuse(`an image URL (${where}; send the image as base64 data instead)`, deployment);
    }
  }
  return out;
}

function modelParts(parts: AssistantContentPart[], deployment: Deployment): Json[] {
  const out: Json[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'text':
        if (part.text !== '') out.push({ text: part.text });
        break;
      case 'tool_call':
        out.push({
          functionCall: { name: part.name, args: toolArgs(part.id, part.name, part.arguments, deployment) },
          thoughtSignature: FOREIGN_THOUGHT_SIGNATURE,
        });
        break;
      case 'thinking':
        // Earlier reasoning only helped the model that wrote it; Gemini takes no reasoning text back.
        break;
    }
  }
  return out;
}

function toolArgs(id: string, name: string, args: string, deployment: Deployment): Json {
  return toolArgumentsObject(id, name, args, 'Gemini', deployment);
}

/**
 * A tool result as a `functionResponse`, with Gemini's documented `output`/`error` keys, and any images
 * of the result as parts after it (a function response holds JSON only).
 */
function toolResultParts(message: Extract<Message, { role: 'tool' }>, name: string, index: number, deployment: Deployment): Json[] {
  const text = message.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  const images = userParts(message.content.filter((p) => p.type === 'image'), `messages[${index}]`, deployment);
  return [{ functionResponse: { name, response: message.isError === true ? { error: text } : { output: text } } }, ...images];
}

/** Messages → contents; consecutive contents of one role are merged (parallel tool results share a turn). */
function encodeContents(messages: Message[], deployment: Deployment): Json[] {
  const contents: { role: 'user' | 'model'; parts: Json[] }[] = [];
  const toolNames = new Map<string, string>();
  messages.forEach((message, index) => {
    let role: 'user' | 'model';
    let parts: Json[];
    switch (message.role) {
      case 'system':
        // Mid-conversation system text keeps its place as user text; systemInstruction would move it.
        role = 'user';
        parts = userParts(message.content, `messages[${index}]`, deployment);
        break;
      case 'user':
        role = 'user';
        parts = userParts(message.content, `messages[${index}]`, deployment);
        break;
      case 'assistant':
        role = 'model';
        for (const part of message.content) if (part.type === 'tool_call') toolNames.set(part.id, part.name);
        parts = modelParts(message.content, deployment);
        break;
      case 'tool': {
        role = 'user';
        const name = message.toolName ?? toolNames.get(message.toolCallId);
        if (name === undefined) {
          throw new NotTranslatable(
            `a tool result (messages[${index}], tool call ${message.toolCallId}) without a matching earlier tool call is not supported by Gemini deployment ${deployment.id}: Gemini needs the function name`,
          );
        }
        parts = toolResultParts(message, name, index, deployment);
        break;
      }
    }
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  });
  return contents;
}
