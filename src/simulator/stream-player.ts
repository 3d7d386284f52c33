/**
 * Plays a format's SSE frames onto a response: paces tokens, and injects the mid-stream faults at the
 * same point for every format (`body_hang` before the first event). Faults that take `afterTokens` fire just before the (N+1)th content token,
 * or at the start of the stream's tail when the reply has N tokens or fewer, so a fault is never silently
 * skipped because the answer was short. With no delay, frames are batched into few writes (benchmarks).
 */
import type { ServerResponse } from 'node:http';
import { pause, silence, writeChunk } from './http-io.js';
import { encodeFrame, type SseFrame } from './sse-writer.js';
import type { SingleFaultSpec } from './types.js';

export interface PlayOptions {
  frames: SseFrame[];
  signal: AbortSignal;
  tokenDelayMs: number;
  /** Wait before the first content token (the `slow_first_token` fault); earlier frames go out at once. */
  firstTokenDelayMs: number;
  fault: SingleFaultSpec | null;
  /** The raw broken event a `malformed_chunk` fault injects. */
  malformedEvent: string | Buffer;
  /** The provider's in-stream error event, for `in_stream_error`. */
  errorFrame: SseFrame | null;
  /** How a frame goes on the wire: SSE by default, AWS event-stream messages for Bedrock. */
  encode?: (frame: SseFrame) => string | Buffer;
}

function afterTokensOf(fault: SingleFaultSpec | null): number | null {
  switch (fault?.type) {
    case 'stream_cut':
    case 'stream_stall':
    case 'malformed_chunk':
    case 'in_stream_error':
      return fault.afterTokens;
    default:
      return null;
  }
}

/** Index of the frame before which an `afterTokens` fault fires; -1 when there is none. */
export function faultIndex(frames: SseFrame[], afterTokens: number | null): number {
  if (afterTokens === null) return -1;
  let seen = 0;
  for (const [index, frame] of frames.entries()) {
    if (frame.tail === true) return index;
    if (frame.token === true) {
      if (seen === afterTokens) return index;
      seen += 1;
    }
  }
  return frames.length;
}

/** Resolves when the stream is over: ended, cut, or abandoned by the client. */
export async function playStream(res: ServerResponse, options: PlayOptions): Promise<void> {
  const { frames, signal, fault } = options;
  const encode = options.encode ?? encodeFrame;
  let pending: (string | Buffer)[] = [];
  let wroteBody = false;
  const flush = async (flushed = false): Promise<void> => {
    if (pending.length > 0) {
      const chunk = pending.every((part) => typeof part === 'string') ? pending.join('') : Buffer.concat(pending.map((part) => Buffer.from(part)));
      pending = [];
      wroteBody = true;
      await writeChunk(res, chunk, signal, flushed);
    } else if (!wroteBody) {
      // writeHead() only queues the headers; a client waiting on a slow first token must get them now.
      wroteBody = true;
      res.flushHeaders();
    }
  };

  if (fault?.type === 'body_hang') {
    // Headers only: not even the stream's opening event, so a client sees a 200 and then nothing.
    await flush();
    await silence(fault.ms, signal);
    if (signal.aborted) return;
  }
  const triggerAt = faultIndex(frames, afterTokensOf(fault));
  let tokensSent = 0;
  for (let index = 0; index <= frames.length; index += 1) {
    if (signal.aborted) return;
    if (index === triggerAt && fault !== null) {
      switch (fault.type) {
        case 'stream_cut':
          await flush(true);
          res.socket?.destroy();
          return;
        case 'stream_stall':
          await flush();
          await silence(fault.ms, signal);
          if (signal.aborted) return;
          break;
        case 'malformed_chunk':
          pending.push(options.malformedEvent);
          break;
        case 'in_stream_error':
          if (options.errorFrame !== null) pending.push(encode(options.errorFrame));
          await flush();
          res.end();
          return;
        default:
          break;
      }
    }
    const frame = frames[index];
    if (frame === undefined) break;
    if (frame.terminal === true && fault?.type === 'missing_done') continue;
    if (frame.token === true) {
      const delayMs = tokensSent === 0 ? options.firstTokenDelayMs : options.tokenDelayMs;
      if (delayMs > 0) {
        await flush();
        await pause(delayMs, signal);
        if (signal.aborted) return;
      }
      tokensSent += 1;
    }
    pending.push(encode(frame));
  }
  await flush();
  if (fault?.type === 'missing_done' && fault.keepOpen === true) {
    await silence(undefined, signal);
    return;
  }
  res.end();
}
