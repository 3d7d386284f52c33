/**
 * Gemini `generateContent` body → canonical request, for clients of Gemini's native API (the
 * `@google/genai` SDK, Gemini CLI). The model comes from the URL. Gemini differs from the canonical
 * model in ways undone here: the assistant is the `model` role; function calls may carry no id, so ids
 * are made from the call's position and a `functionResponse` is matched to the latest call of its name;
 * a function's response is a JSON object, passed on as its JSON text. What only Google can honour
 * (Google Search and code execution tools, cached content, safety settings, files by URI) is listed in
 * `untranslatable`, refused by name on any other provider.
 */
import { z } from 'zod';
import type { AssistantContentPart, ChatRequest, Message, TextPart, ToolChoice, ToolDefinition, UserContentPart } from '../../core/chat-request.js';
import { KeelError } from '../../core/errors.js';
import { validationError } from '../validation-error.js';

const part = z.looseObject({
  text: z.string().optional(),
  thought: z.boolean().optional(),
  inlineData: z.looseObject({ mimeType: z.string(), data: z.string() }).optional(),
  functionCall: z.looseObject({ id: z.string().optional(), name: z.string().min(1), args: z.record(z.string(), z.unknown()).nullish() }).optional(),
  functionResponse: z.looseObject({ id: z.string().optional(), name: z.string().min(1), response: z.record(z.string(), z.unknown()).nullish() }).optional(),
});
type Part = z.infer<typeof part>;

const content = z.looseObject({ role: z.enum(['user', 'model', 'function']).optional(), parts: z.array(part).min(1) });

const functionDeclaration = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  parametersJsonSchema: z.record(z.string(), z.unknown()).optional(),
});

export const geminiRequest = z.looseObject({
  contents: z.array(content).min(1),
  systemInstruction: z.looseObject({ parts: z.array(part) }).optional(),
  tools: z.array(z.looseObject({ functionDeclarations: z.array(functionDeclaration).optional() })).optional(),
  toolConfig: z
    .looseObject({ functionCallingConfig: z.looseObject({ mode: z.enum(['AUTO', 'ANY', 'NONE', 'VALIDATED', 'MODE_UNSPECIFIED']).optional(), allowedFunctionNames: z.array(z.string()).optional() }).optional() })
    .optional(),
  generationConfig: z
    .looseObject({
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().min(0).max(1).optional(),
      topK: z.number().int().positive().optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      stopSequences: z.array(z.string()).optional(),
      candidateCount: z.number().int().positive().optional(),
      seed: z.number().int().optional(),
      presencePenalty: z.number().optional(),
      frequencyPenalty: z.number().optional(),
      responseMimeType: z.string().optional(),
      responseSchema: z.record(z.string(), z.unknown()).optional(),
      responseJsonSchema: z.record(z.string(), z.unknown()).optional(),
      thinkingConfig: z.looseObject({ thinkingBudget: z.number().int().optional(), includeThoughts: z.boolean().optional() }).optional(),
    })
    .optional(),
});
export type GeminiRequest = z.infer<typeof geminiRequest>;

/** Fields only Google's platform can honour. */
const UNTRANSLATABLE_FIELDS = ['cachedContent', 'safetySettings', 'labels'];

class Converter {
  readonly messages: Message[] = [];
  private readonly calls: { id: string; name: string; answered: boolean }[] = [];

  constructor(private readonly untranslatable: string[]) {}

  add(role: 'user' | 'model' | 'function', parts: Part[], path: string): void {
    if (role === 'model') {
      const content: AssistantContentPart[] = [];
      parts.forEach((p, i) => {
        if (p.functionCall !== undefined) {
          const id = p.functionCall.id ?? `call_${this.calls.length}_${p.functionCall.name}`;
          this.calls.push({ id, name: p.functionCall.name, answered: false });
          content.push({ type: 'tool_call', id, name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) });
        } else if (p.text !== undefined) content.push(p.thought === true ? { type: 'thinking', text: p.text } : { type: 'text', text: p.text });
        else this.untranslatable.push(`${path}.parts[${i}]: ${Object.keys(p).join(', ')} in a model turn`);
      });
      this.messages.push({ role: 'assistant', content });
      return;
    }
    const user: UserContentPart[] = [];
    parts.forEach((p, i) => {
      if (p.functionResponse !== undefined) {
        const response = p.functionResponse;
        const call = (response.id === undefined ? undefined : this.calls.find((c) => c.id === response.id)) ?? this.calls.find((c) => c.name === response.name && !c.answered);
        if (call !== undefined) call.answered = true;
        this.messages.push({ role: 'tool', toolCallId: call?.id ?? response.id ?? response.name, toolName: response.name, content: [{ type: 'text', text: JSON.stringify(response.response ?? {}) }] });
      } else if (p.text !== undefined) user.push({ type: 'text', text: p.text });
      else if (p.inlineData !== undefined) {
        if (p.inlineData.mimeType.startsWith('image/')) user.push({ type: 'image', source: { kind: 'base64', mediaType: p.inlineData.mimeType, data: p.inlineData.data } });
        else this.untranslatable.push(`${path}.parts[${i}]: ${p.inlineData.mimeType} inline data`);
      } else this.untranslatable.push(`${path}.parts[${i}]: ${Object.keys(p).join(', ')}`);
    });
    if (user.length > 0) this.messages.push({ role: 'user', content: user });
  }
}

function convertTools(body: GeminiRequest, untranslatable: string[]): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  (body.tools ?? []).forEach((tool, i) => {
    for (const fn of tool.functionDeclarations ?? []) {
      const def: ToolDefinition = { name: fn.name, parameters: fn.parametersJsonSchema ?? lowerTypes(fn.parameters) ?? { type: 'object', properties: {} } };
      if (fn.description !== undefined) def.description = fn.description;
      tools.push(def);
    }
    for (const key of Object.keys(tool)) if (key !== 'functionDeclarations') untranslatable.push(`tools[${i}]: ${key} tool`);
  });
  return tools;
}

/** Gemini's OpenAPI subset spells types in upper case (`OBJECT`); JSON Schema wants them lower case. */
function lowerTypes(schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (schema === undefined) return undefined;
  const walk = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value === null || typeof value !== 'object') return key === 'type' && typeof value === 'string' ? value.toLowerCase() : value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
  };
  return walk(schema) as Record<string, unknown>;
}

function convertToolChoice(body: GeminiRequest): ToolChoice | undefined {
  const config = body.toolConfig?.functionCallingConfig;
  if (config?.mode === 'NONE') return { type: 'none' };
  if (config?.mode === 'ANY' || config?.mode === 'VALIDATED') {
    const names = config.allowedFunctionNames ?? [];
    return names.length === 1 ? { type: 'tool', name: names[0]! } : { type: 'required' };
  }
  return config?.mode === 'AUTO' ? { type: 'auto' } : undefined;
}

export function parseGeminiRequest(json: unknown, model: string, stream: boolean): ChatRequest {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new KeelError('invalid_request', 'The request body must be a JSON object.', { param: 'body' });
  }
  const parsed = geminiRequest.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error, json);
  const body = parsed.data;
  const untranslatable: string[] = [];
  const converter = new Converter(untranslatable);
  body.contents.forEach((c, i) => converter.add(c.role ?? 'user', c.parts, `contents[${i}]`));
  const system: TextPart[] = (body.systemInstruction?.parts ?? []).flatMap((p) => (p.text === undefined ? [] : [{ type: 'text' as const, text: p.text }]));
  for (const field of UNTRANSLATABLE_FIELDS) if (body[field] !== undefined) untranslatable.push(field);
  const config = body.generationConfig ?? {};
  if ((config.candidateCount ?? 1) > 1) untranslatable.push('generationConfig.candidateCount > 1');
  const request: ChatRequest = {
    model,
    system,
    messages: converter.messages,
    tools: convertTools(body, untranslatable),
    stop: config.stopSequences ?? [],
    sampling: {},
    stream,
    streamUsage: true,
    extensions: {},
    untranslatable,
    surface: 'gemini',
  };
  if (config.maxOutputTokens !== undefined) request.maxTokens = config.maxOutputTokens;
  if (config.temperature !== undefined) request.sampling.temperature = config.temperature;
  if (config.topP !== undefined) request.sampling.topP = config.topP;
  if (config.topK !== undefined) request.sampling.topK = config.topK;
  if (config.seed !== undefined) request.sampling.seed = config.seed;
  if (config.presencePenalty !== undefined) request.sampling.presencePenalty = config.presencePenalty;
  if (config.frequencyPenalty !== undefined) request.sampling.frequencyPenalty = config.frequencyPenalty;
  const toolChoice = convertToolChoice(body);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  const schema = config.responseJsonSchema ?? lowerTypes(config.responseSchema);
  if (schema !== undefined) request.responseFormat = { type: 'json_schema', name: 'response', schema };
  else if (config.responseMimeType === 'application/json') request.responseFormat = { type: 'json_object' };
  const budget = config.thinkingConfig?.thinkingBudget;
  if (budget !== undefined && budget > 0) request.reasoning = { budgetTokens: budget };
  return request;
}
