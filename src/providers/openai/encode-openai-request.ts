/**
 * Canonical request → OpenAI Chat Completions body, for clients of another format. (Clients that already
 * speak OpenAI are passed through and never come here.)
 */
import type { ChatRequest, ContentPart, Message, ToolChoice } from '../../core/chat-request.js';

type Json = Record<string, unknown>;

function encodePart(part: ContentPart): Json | undefined {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const url = part.source.kind === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
      return { type: 'image_url', image_url: part.detail === undefined ? { url } : { url, detail: part.detail } };
    }
    default:
      return undefined;
  }
}

function textOnly(parts: ContentPart[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

function encodeMessage(message: Message): Json[] {
  switch (message.role) {
    case 'system':
      return [{ role: 'system', content: textOnly(message.content) }];
    case 'user': {
      const simple = message.content.every((p) => p.type === 'text');
      const content = simple ? textOnly(message.content) : message.content.map(encodePart).filter((p) => p !== undefined);
      return [message.name === undefined ? { role: 'user', content } : { role: 'user', content, name: message.name }];
    }
    case 'assistant': {
      const text = message.content.filter((p) => p.type === 'text').map((p) => p.text).join('');
      const toolCalls = message.content
        .filter((p) => p.type === 'tool_call')
        .map((p) => ({ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } }));
      const out: Json = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text };
      if (toolCalls.length > 0) out['tool_calls'] = toolCalls;
      return [out];
    }
    case 'tool':
      return [{ role: 'tool', tool_call_id: message.toolCallId, content: textOnly(message.content) }];
  }
}

function encodeToolChoice(choice: ToolChoice): unknown {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.name } } : choice.type;
}

export function encodeOpenAIRequest(request: ChatRequest, upstreamModel: string): Json {
  const messages: Json[] = [];
  if (request.system.length > 0) messages.push({ role: 'system', content: textOnly(request.system) });
  for (const m of request.messages) messages.push(...encodeMessage(m));
  const body: Json = { model: upstreamModel, messages };
  const s = request.sampling;
  if (request.maxTokens !== undefined) body['max_completion_tokens'] = request.maxTokens;
  if (s.temperature !== undefined) body['temperature'] = Math.min(2, s.temperature);
  if (s.topP !== undefined) body['top_p'] = s.topP;
  if (s.frequencyPenalty !== undefined) body['frequency_penalty'] = s.frequencyPenalty;
  if (s.presencePenalty !== undefined) body['presence_penalty'] = s.presencePenalty;
  if (s.seed !== undefined) body['seed'] = s.seed;
  if (request.stop.length > 0) body['stop'] = request.stop;
  if (request.tools.length > 0) {
    body['tools'] = request.tools.map((t) => ({
      type: 'function',
      function: {
        name: t.name,
        ...(t.description === undefined ? {} : { description: t.description }),
        parameters: t.parameters,
        ...(t.strict === undefined ? {} : { strict: t.strict }),
      },
    }));
  }
  if (request.toolChoice !== undefined) body['tool_choice'] = encodeToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined && request.tools.length > 0) body['parallel_tool_calls'] = request.parallelToolCalls;
  const rf = request.responseFormat;
  if (rf !== undefined) {
    body['response_format'] =
      rf.type === 'json_schema'
        ? { type: 'json_schema', json_schema: { name: rf.name, schema: rf.schema, ...(rf.strict === undefined ? {} : { strict: rf.strict }), ...(rf.description === undefined ? {} : { description: rf.description }) } }
        : { type: rf.type };
  }
  if (request.reasoning?.effort !== undefined) body['reasoning_effort'] = request.reasoning.effort;
  if (request.user !== undefined) body['user'] = request.user;
  if (request.stream) {
    body['stream'] = true;
    // Always ask for usage: Keel needs it for cost and health even when the client did not ask.
    body['stream_options'] = { include_usage: true };
  }
  return body;
}
