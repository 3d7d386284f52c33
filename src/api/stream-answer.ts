/**
 * Writes a dispatched stream to the client as SSE, the same way for every client surface: the provider's
 * own frames when the answer is passed through, the surface's encoding of the canonical events otherwise.
 * Providers never forward their terminator (`[DONE]`, `message_stop`); they yield `end`, and the surface
 * writes its own. A stream that fails after it started ends with the surface's in-stream error event and
 * never with the success terminator: headers are long gone, and that event is the only honest signal left.
 */
import type { StreamEvent } from '../core/chat-response.js';
import type { StreamItem, UpstreamFailure } from '../providers/index.js';
import type { DispatchResult } from '../router/router.js';
import { SSE_HEADERS, writeSse } from '../server/sse-writer.js';
import { trailHeaders, type HttpContext } from './http-context.js';

/** What a client surface contributes: its encoder, its terminator and its error event. */
export interface StreamSurface {
  /** Frames for canonical events (translated streams; also a pass-through item without raw bytes). */
  encode(events: StreamEvent[]): string;
  /** The closing frames of a translated stream that completed. */
  finish(): string;
  /** The terminator of a passed-through stream that completed. */
  passthroughEnd: string;
  /** The in-stream error event of a stream that failed after it started. */
  failure(failure: UpstreamFailure): string;
}

export async function streamAnswer(
  ctx: HttpContext,
  result: DispatchResult,
  items: AsyncIterable<StreamItem>,
  surface: StreamSurface,
): Promise<void> {
  const { res } = ctx;
  res.writeHead(200, { ...trailHeaders(result), ...SSE_HEADERS });
  for await (const item of items) {
    if (item.kind === 'data') {
      await writeSse(res, result.passthrough && item.raw !== undefined ? item.raw : surface.encode(item.events));
    } else if (item.kind === 'end') {
      await writeSse(res, result.passthrough ? surface.passthroughEnd : surface.finish());
      ctx.trail.outcome = 'ok';
    } else {
      await writeSse(res, surface.failure(item.failure));
      ctx.trail.outcome = item.failure.outcome;
    }
    if (ctx.signal.aborted) break;
  }
  ctx.trail.attempts = result.attempts.length;
  res.end();
}
