/**
 * Writes an SSE response with backpressure: when the client reads slowly, the writer waits for the socket
 * to drain instead of buffering the whole answer in memory.
 */
import type { ServerResponse } from 'node:http';
import { once } from 'node:events';
import { isPullable, WAIT, type Pullable } from '../core/pull-stream.js';

/**
 * Completes an answer's own headers as a stream's. Assigned one by one: `Object.assign` of a constant
 * set into headers that already hold others takes V8's generic path, on every stream.
 */
export function withSseHeaders(headers: Record<string, string>): Record<string, string> {
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers['connection'] = 'keep-alive';
  // Tells nginx-style proxies in front of Keel not to buffer the stream.
  headers['x-accel-buffering'] = 'no';
  return headers;
}

/** Fails at its first character: a test of it only flattens its subject (V8 flattens a regexp's subject in place). */
const FLATTENS = /^\0/;

/**
 * node:http builds a response's head by concatenation and keeps it for as long as the response lives, as
 * the rope the concatenation made: about 2.5 KB for fifteen headers, against 0.4 KB as one string. A
 * stream's response lives as long as the stream, so every open stream held the rope, and a stream that
 * lived through two scavenges had it copied into the old generation. Flattened in place once the head is
 * built, the rope's pieces die young. `_header` is node's own field (a string once `writeHead` ran);
 * when it is anything else this does nothing.
 */
export function flattenHead(res: ServerResponse): void {
  const head = (res as unknown as { _header?: unknown })._header;
  if (typeof head === 'string') FLATTENS.test(head);
}

/** An SSE frame as written: text, or a passed-through stream's own bytes (`StreamItem` `bytes`). */
export type SseFrame = string | Buffer;

/**
 * Writes frames; a promise to wait on only when the socket's buffer is full (undefined otherwise), so a
 * client that keeps up costs no promise per write.
 */
export function writeSse(res: ServerResponse, frames: SseFrame): Promise<void> | undefined {
  if (frames.length === 0 || res.destroyed || res.write(frames)) return undefined;
  return Promise.race([once(res, 'drain'), once(res, 'close')]).then(() => undefined);
}

/**
 * The frames of a stream that can be pulled from (see pull-stream.ts), and closed like an iterator;
 * `ended` once the last frame was pulled, when the stream can tell.
 */
export type PullableFrames = Pullable<SseFrame> & { return(): Promise<unknown>; readonly ended?: boolean };

export function pullableFrames(body: object): body is PullableFrames {
  return isPullable<SseFrame>(body) && typeof (body as Partial<PullableFrames>).return === 'function';
}

/**
 * Writes a pullable stream from callbacks rather than a loop of awaits: frames are pulled while the
 * socket takes them; the stream's `onReady` resumes the writing when the upstream has more, `drain` when
 * the client has caught up. Between two tokens nothing is pending but these listeners. Resolves once
 * the stream ended (or the client left) and `return()` has closed it; rejects, after closing it, when a
 * pull throws. A stream that ends is ended on the response at once; otherwise (the client left, a pull
 * threw) the caller ends it.
 */
export function pumpSse(res: ServerResponse, frames: PullableFrames): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let blocked = false; // the socket's buffer is full: wait for `drain`
    let running = false;
    let again = false; // woken while running: pull once more before waiting
    let over = false;
    const finish = (err?: unknown): void => {
      if (over) return;
      over = true;
      frames.onReady(undefined);
      res.off('drain', onDrain);
      res.off('close', onClose);
      frames.return().then(() => (err === undefined ? resolve() : reject(err)), reject);
    };
    const run = (): void => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          while (!over && !blocked) {
            if (res.destroyed) return finish();
            const frame = frames.pull();
            if (frame === WAIT) break;
            if (frame === undefined) {
              // Ended in the tick of the last frames: the client has its whole answer without waiting for
              // the stream's `return()` (its cleanup) to settle, and, as node:http corks a response's
              // writes until the next tick, the chunked terminator can leave with the last frames.
              res.end();
              return finish();
            }
            if (frame.length !== 0 && !res.write(frame)) blocked = true;
            if (frames.ended === true) {
              // The last frame: the response ends (and its corked writes leave) before `return()` lets
              // the stream's bookkeeping run, so the client's last bytes do not wait for it.
              res.end();
              return finish();
            }
          }
        } while (again && !over && !blocked);
      } catch (err) {
        finish(err);
      } finally {
        running = false;
      }
    };
    const onDrain = (): void => {
      blocked = false;
      run();
    };
    const onClose = (): void => finish();
    res.on('drain', onDrain);
    res.on('close', onClose);
    frames.onReady(run);
    run();
  });
}
