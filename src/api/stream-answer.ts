/**
 * Turns a dispatched answer into the client's response, the same way for every client surface: the
 * provider's own bytes when passed through, the surface's encoding of the canonical answer otherwise.
 * Providers never forward their stream terminator (`[DONE]`, `message_stop`); they yield `end`, and the
 * surface writes its own. A stream that fails after it started ends with the surface's in-stream error
 * event and never with the success terminator: headers are long gone, and that event is the only honest
 * signal left. The dispatch is released (`done`) when the answer has been delivered or abandoned.
 */
import type { ChatResponse, StreamEvent } from '../core/chat-response.js';
import type { UpstreamFailure } from '../providers/index.js';
import type { DispatchResult } from '../router/router.js';
import { SSE_HEADERS } from '../server/sse-writer.js';
import { closeStream } from '../router/stream-commit.js';
import { jsonAnswer, noteResult, trailHeaders, type ApiAnswer, type ApiRequest } from './api-request.js';

/** What a client surface contributes: its encoders, its terminator and its error event. */
export interface Surface {
  /** The JSON body of a complete (translated or degraded) answer. */
  encodeResponse(response: ChatResponse): unknown;
  /** A fresh stream encoder per answer. */
  streamEncoder(): {
    /** Frames for canonical events. */
    encode(events: StreamEvent[]): string;
    /** The closing frames of a translated stream that completed. */
    finish(): string;
  };
  /** The terminator of a passed-through stream that completed. */
  passthroughEnd: string;
  /** The in-stream error event of a stream that failed after it started. */
  failure(failure: UpstreamFailure, requestId: string): string;
}

export function answerDispatch(req: ApiRequest, result: DispatchResult, surface: Surface): ApiAnswer {
  noteResult(req, result);
  const answer = result.answer;
  if (answer.kind === 'json') {
    result.done();
    return jsonAnswer(200, answer.raw ?? JSON.stringify(surface.encodeResponse(answer.response)), trailHeaders(result));
  }
  const encoder = surface.streamEncoder();
  // Pass-through until a mid-stream continuation switches the rest of the answer to encoding.
  let passthrough = result.passthrough;
  async function* frames(): AsyncGenerator<string, void, undefined> {
    try {
      for await (const item of answer.kind === 'stream' ? answer.items : []) {
        if (item.kind === 'data') {
          yield passthrough && item.raw !== undefined ? item.raw : encoder.encode(item.events);
        } else if (item.kind === 'resync') {
          // The client has these already (as the provider's bytes): bring the encoder up to date silently.
          if (passthrough) encoder.encode(item.events);
          passthrough = false;
        } else if (item.kind === 'end') {
          yield passthrough ? surface.passthroughEnd : encoder.finish();
          req.trail.outcome = 'ok';
        } else {
          yield surface.failure(item.failure, req.requestId);
          req.trail.outcome = item.failure.outcome;
        }
        if (req.signal.aborted) return;
      }
    } finally {
      req.trail.attempts = result.attempts.length;
      result.done();
    }
  }
  const stream = answer.items;
  return { status: 200, headers: { ...trailHeaders(result), ...SSE_HEADERS }, body: settledOnClose(frames(), () => closeStream(stream), () => {
    req.trail.attempts = result.attempts.length;
    result.done();
  }) };
}

/**
 * The frames as the transport iterates them, with one guarantee a bare generator lacks: closing them before
 * the first frame was asked for (the client left while the headers went out) still closes the upstream
 * stream and releases the dispatch. A generator's `return()` before it started skips its `finally`.
 */
function settledOnClose(frames: AsyncGenerator<string, void, undefined>, closeUpstream: () => Promise<void>, release: () => void): AsyncIterable<string> {
  let started = false;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        started = true;
        return frames.next();
      },
      return: async () => {
        if (!started) {
          await closeUpstream().catch(() => undefined);
          release();
        }
        await frames.return(undefined);
        return { done: true as const, value: undefined };
      },
    }),
  };
}
