/**
 * Answers Keel gives when every deployment of a route has failed: a static message configured for the
 * route, and the replay of a stored answer as a stream for streaming clients. Both are marked degraded
 * by the caller (`x-keel-degraded`), never passed off as a fresh answer.
 */
import type { ChatResponse } from '../core/chat-response.js';
import { responseToEvents } from '../core/stream-accumulator.js';
import type { StreamItem } from '../providers/index.js';

export function staticResponse(route: string, message: string, nowMs: number): ChatResponse {
  return {
    id: `keel-degraded-${nowMs.toString(36)}`,
    model: route,
    created: Math.floor(nowMs / 1000),
    content: [{ type: 'text', text: message }],
    finishReason: 'stop',
    usage: { inputTokens: 0, outputTokens: 0 },
  };
}

export async function* replayResponse(response: ChatResponse): AsyncGenerator<StreamItem, void, undefined> {
  yield { kind: 'data', events: responseToEvents(response) };
  yield { kind: 'end' };
}
