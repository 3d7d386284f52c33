/**
 * Keel's public library API, listed by hand: what is exported here is supported.
 */
export { createKeel, type CallOptions, type Keel, type KeelOptions } from './library/create-keel.js';
export type { FetchLike } from './library/keel-fetch.js';
export { startKeel, type RunningKeel, type StartOptions } from './server/start-keel.js';
export { startSimulator, type FaultSpec, type Simulator, type SimulatorOptions } from './simulator/index.js';
export { chatRequest } from './core/chat-request.js';
export type {
  AssistantContentPart,
  ChatRequest,
  ContentPart,
  ImagePart,
  Message,
  ResponseFormat,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  ToolChoice,
  ToolDefinition,
  WireFormat,
} from './core/chat-request.js';
export type { ChatResponse, FinishReason, StreamEvent, Usage } from './core/chat-response.js';
export { KeelError, type ErrorCode } from './core/errors.js';
export { OUTCOMES, type Outcome } from './core/outcome.js';
export { ConfigError } from './config/load-config.js';
export type { KeelConfig, KeelConfigInput } from './config/schema.js';
export type { AttemptRecord, DispatchResult } from './router/router.js';
