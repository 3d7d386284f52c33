/**
 * Turns a dispatched answer into the client's response, the same way for every client surface: the
 * provider's own bytes when passed through, the surface's encoding of the canonical answer otherwise.
 * Providers never forward their stream terminator (`[DONE]`, `message_stop`); they yield `end`, and the
 * surface writes its own. A stream that fails after it started ends with the surface's in-stream error
 * event and never with the success terminator: headers are long gone, and that event is the only honest
 * signal left. The dispatch is released (`done`) when the answer has been delivered or abandoned.
 */
import type { ChatResponse, StreamEvent } from '../core/chat-response.js';
import { DONE, isPullable, pullerOf, RETURNED, WAIT, type Pullable } from '../core/pull-stream.js';
import type { StreamItem, UpstreamFailure } from '../providers/index.js';
import type { DispatchResult } from '../router/router.js';
import { withSseHeaders, type SseFrame as Frame } from '../server/sse-writer.js';
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
  /**
   * The surface reads (and may rewrite) the frames it is given: a passed-through stream's frames come as
   * text, never as the provider's own bytes, which it would only decode again.
   */
  readsFrames?: boolean;
}

export function answerDispatch(req: ApiRequest, result: DispatchResult, surface: Surface): ApiAnswer {
  noteResult(req, result);
  const answer = result.answer;
  if (answer.kind === 'json') {
    const whole = jsonAnswer(200, answer.raw ?? JSON.stringify(surface.encodeResponse(answer.response)), trailHeaders(result));
    // The dispatch is released and recorded once the answer has left (see `ApiAnswer.sent`).
    whole.sent = result.done;
    return whole;
  }
  // Only what the frames read of the request: holding all of it would keep its body and parsed JSON (the
  // whole prompt) for as long as the stream stays open.
  const client: ClientSide = { signal: req.signal, trail: req.trail, requestId: req.requestId };
  // trailHeaders' object is fresh: completed in place rather than spread into another.
  return { status: 200, headers: withSseHeaders(trailHeaders(result)), body: new SurfaceFrames(client, result, answer.items, surface) };
}

type ClientSide = Pick<ApiRequest, 'signal' | 'trail' | 'requestId'>;

/**
 * The frames of a streamed answer as the transport iterates them. One object rather than an async
 * generator wrapped in a guard: a frame costs one promise hop here, not two. It also gives the guarantee a
 * bare generator lacks: closed before the first frame was asked for (the client left while the headers
 * went out), it still closes the upstream stream and releases the dispatch; a generator's `return()`
 * before it started would skip its `finally`. The dispatch is released exactly once, however it ends.
 */
class SurfaceFrames implements AsyncIterableIterator<Frame>, Pullable<Frame> {
  /** Made at the first frame it encodes: a passed-through stream usually never needs one. */
  private encoder: ReturnType<Surface['streamEncoder']> | undefined;
  /** Pass-through until a mid-stream continuation switches the rest of the answer to encoding. */
  private passthrough: boolean;
  private started = false;
  private settled = false;
  /** The last frame (the end's, or a failure's) was handed out: a writer may end its response now. */
  ended = false;

  /**
   * Read once, here: the layers below never change. A getter that asked the layer below would be
   * inlined by TurboFan through every layer's getter in turn, and its compilation took 290 ms and
   * tens of MB of memory at the first streams (the bench's peak RSS).
   */
  readonly pullable: boolean;

  constructor(
    private readonly req: ClientSide,
    private readonly result: DispatchResult,
    private readonly items: AsyncGenerator<StreamItem, void, undefined>,
    private readonly surface: Surface,
  ) {
    this.passthrough = result.passthrough;
    this.pullable = isPullable(items);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** As `next`, from the caller's callbacks; the caller calls `return()` when it is done, as after iterating. */
  pull(): Frame | typeof WAIT | undefined {
    if (this.settled || (this.started && this.req.signal.aborted)) return undefined;
    this.started = true;
    const items = pullerOf<StreamItem>(this.items);
    try {
      for (;;) {
        const item = items.pull();
        if (item === WAIT) return WAIT;
        if (item === undefined) break;
        const frame = this.frameOf(item);
        if (frame !== undefined) return frame;
      }
    } catch (err) {
      this.settle();
      throw err;
    }
    this.settle();
    return undefined;
  }

  onReady(wake: (() => void) | undefined): void {
    pullerOf<StreamItem>(this.items).onReady(wake);
  }

  async next(): Promise<IteratorResult<Frame, undefined>> {
    if (this.settled) return DONE;
    if (this.started && this.req.signal.aborted) return this.return();
    this.started = true;
    try {
      for (;;) {
        const next = await this.items.next();
        if (next.done === true) break;
        const frame = this.frameOf(next.value);
        if (frame !== undefined) return { done: false, value: frame };
      }
    } catch (err) {
      this.settle();
      throw err;
    }
    this.settle();
    return DONE;
  }

  return(): Promise<IteratorResult<Frame, undefined>> {
    return this.settled ? RETURNED : this.close();
  }

  private async close(): Promise<IteratorResult<Frame, undefined>> {
    await (this.started ? this.items.return(undefined) : closeStream(this.items)).catch(() => undefined);
    this.settle();
    return DONE;
  }

  /** The frame for one item, or undefined when it has none for the client. */
  private frameOf(item: StreamItem): Frame | undefined {
    const { req, surface } = this;
    if (item.kind === 'data') {
      if (!this.passthrough || item.raw === undefined) return this.encoderNow().encode(item.events);
      return surface.readsFrames === true ? item.raw : (item.bytes ?? item.raw);
    }
    if (item.kind === 'resync') {
      // The client has these already (as the provider's bytes): bring the encoder up to date silently.
      if (this.passthrough) this.encoderNow().encode(item.events);
      this.passthrough = false;
      return undefined;
    }
    this.ended = true;
    if (item.kind === 'end') {
      req.trail.outcome = 'ok';
      return this.passthrough ? surface.passthroughEnd : this.encoderNow().finish();
    }
    req.trail.outcome = item.failure.outcome;
    return surface.failure(item.failure, req.requestId);
  }

  private encoderNow(): ReturnType<Surface['streamEncoder']> {
    return (this.encoder ??= this.surface.streamEncoder());
  }

  private settle(): void {
    this.settled = true;
    this.req.trail.attempts = this.result.attempts.length;
    this.result.done();
  }
}
