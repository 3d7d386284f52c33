/**
 * The canonical request: one shape rich enough for the three wire formats Keel speaks (OpenAI Chat
 * Completions, Anthropic Messages, Gemini generateContent). Client surfaces parse into it, providers
 * encode from it. What only one format can express travels in `extensions`, keyed by that format, so a
 * translation can refuse it by name instead of dropping it silently.
 */

/**
 * `openai-responses` is OpenAI's Responses API: a client surface, and what an `openai` deployment speaks
 * when it is handed such a client's body as is; every other provider answers it through translation.
 */
export type WireFormat = 'openai' | 'anthropic' | 'gemini' | 'openai-responses';

export interface TextPart {
  type: 'text';
  text: string;
  /** Anthropic prompt-caching marker, kept so a same-format hop can forward it. */
  cacheControl?: unknown;
}

export type ImageSource =
  | { kind: 'url'; url: string }
  | { kind: 'base64'; mediaType: string; data: string };

export interface ImagePart {
  type: 'image';
  source: ImageSource;
  /** OpenAI's `detail` hint (`low`, `high`, `auto`). */
  detail?: string;
}

export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  /** The arguments as the JSON text the model produced (may be invalid JSON: models make mistakes). */
  arguments: string;
}

export interface ThinkingPart {
  type: 'thinking';
  text: string;
  /** Anthropic's signature over the thinking, required to send it back in a later turn. */
  signature?: string;
  /** Redacted thinking carries only opaque data. */
  redactedData?: string;
}

export type UserContentPart = TextPart | ImagePart;
export type AssistantContentPart = TextPart | ToolCallPart | ThinkingPart;
export type ContentPart = UserContentPart | AssistantContentPart;

export interface SystemMessage {
  role: 'system';
  content: TextPart[];
}
export interface UserMessage {
  role: 'user';
  content: UserContentPart[];
  name?: string;
}
export interface AssistantMessage {
  role: 'assistant';
  content: AssistantContentPart[];
}
export interface ToolResultMessage {
  role: 'tool';
  toolCallId: string;
  /** The called tool's name when the client format carries it (Gemini needs it, OpenAI omits it). */
  toolName?: string;
  content: UserContentPart[];
  isError?: boolean;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolResultMessage;

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' }
  | { type: 'tool'; name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

export interface SamplingParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
}

export interface ChatRequest {
  /** The model group or model name the client asked for. */
  model: string;
  /** System prompt: leading system/developer messages are hoisted here. */
  system: TextPart[];
  messages: Message[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  stop: string[];
  sampling: SamplingParams;
  responseFormat?: ResponseFormat;
  /** Extended thinking / reasoning budget, when the client asked for it. */
  reasoning?: { budgetTokens?: number; effort?: string };
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: the client wants a usage chunk at the end of the stream. */
  streamUsage: boolean;
  /** End-user id for abuse tracking (OpenAI `user`, Anthropic `metadata.user_id`). */
  user?: string;
  /** Fields the canonical model has no place for, by the format they came from. */
  extensions: Partial<Record<WireFormat, Record<string, unknown>>>;
  /**
   * Features of the client's request that only survive a same-format (pass-through) hop, each named by
   * its path (`messages[1].content[0]: input_audio`). A translation to another format refuses them with a
   * 400 naming the feature instead of dropping them silently.
   */
  untranslatable: string[];
  /**
   * The client API the request came in through, when it is not the format its body is read as by name:
   * set by the Responses surface so a provider handed the client's body knows which endpoint takes it.
   */
  surface?: WireFormat;
  /**
   * Protocol headers of the client's format (Anthropic's `anthropic-version`, `anthropic-beta`), sent on
   * unchanged when the body is passed through to a deployment of that format: betas change what a body
   * means, so they travel with it, and only with it.
   */
  protocolHeaders?: Record<string, string>;
}

/** A canonical request with every optional collection empty: name the model and the messages. */
export function chatRequest(fields: Pick<ChatRequest, 'model' | 'messages'> & Partial<ChatRequest>): ChatRequest {
  return { system: [], tools: [], stop: [], sampling: {}, stream: false, streamUsage: false, extensions: {}, untranslatable: [], ...fields };
}
