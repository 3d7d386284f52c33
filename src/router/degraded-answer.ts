/**
 * Answers Keel gives when every deployment of a route has failed: a static message configured for the
 * route, and the replay of a stored answer as a stream for streaming clients. Both are marked degraded
 * by the caller (`x-keel-degraded`), never passed off as a fresh answer.
 */
import type { ChatRequest } from '../core/chat-request.js';
import type { ChatResponse } from '../core/chat-response.js';
import type { Clock } from '../core/clock.js';
import { StreamAccumulator, responseToEvents } from '../core/stream-accumulator.js';
import type { Route } from '../config/resolve-config.js';
import type { StreamItem } from '../providers/index.js';
import { cacheKey, localAnswerCache, type AnswerCache } from './response-cache.js';

/** The degraded answers of every route: remembers successes, finds a stand-in when all else failed. */
export class DegradedAnswers {
  constructor(
    private readonly clock: Clock,
    private readonly cache: AnswerCache = localAnswerCache(),
  ) {}

  async find(route: Route, tenant: string | undefined, request: ChatRequest): Promise<{ kind: 'cache' | 'static'; response: ChatResponse } | undefined> {
    if (route.degraded.cacheTtlMs !== undefined) {
      const cached = await this.cache.get(cacheKey(tenant ?? '', route.name, request), this.clock.now());
      if (cached !== undefined) return { kind: 'cache', response: cached };
    }
    if (route.degraded.message !== undefined) return { kind: 'static', response: staticResponse(route.name, route.degraded.message, this.clock.now()) };
    return undefined;
  }

  remember(route: Route, tenant: string | undefined, request: ChatRequest, response: ChatResponse): void {
    const ttlMs = route.degraded.cacheTtlMs;
    if (ttlMs !== undefined) this.cache.set(cacheKey(tenant ?? '', route.name, request), response, ttlMs, this.clock.now());
  }

  /** Passes a stream through, remembering the answer it adds up to if it completes. */
  rememberStream(route: Route, tenant: string | undefined, request: ChatRequest, items: AsyncGenerator<StreamItem, void, undefined>): AsyncGenerator<StreamItem, void, undefined> {
    if (route.degraded.cacheTtlMs === undefined) return items;
    const accumulator = new StreamAccumulator();
    const remember = (response: ChatResponse): void => this.remember(route, tenant, request, response);
    return (async function* () {
      for await (const item of items) {
        if (item.kind === 'data') for (const event of item.events) accumulator.push(event);
        if (item.kind === 'end') {
          const response = accumulator.result();
          if (response !== undefined) remember(response);
        }
        yield item;
      }
    })();
  }
}

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
