/**
 * Reading a stream without a promise per item. The objects on every stream's path (the upstream reader,
 * the end observer, the client's frames) are async iterators, and also offer `pull`: the next item at
 * once when one is ready, `WAIT` when none is yet (then the callback given to `onReady` is called when
 * one may be), `undefined` at the end. The gateway writes a stream whose every layer can be pulled from
 * callbacks (socket readable, client drained), so an open stream that waits on a slow model holds no
 * chain of pending promises: with async iteration that chain (about 1.6 KB a stream) is made anew at
 * every token, lives until the next one, and so is promoted to the old generation and left there as
 * garbage — the growth that made 5,000 open streams take half again the bare proxy's memory.
 *
 * A layer that cannot be pulled from (a continuation, a degraded-answer capture) is iterated as before;
 * a layer over it says so with `pullable`.
 */

/** An iterator's end: one object for every stream (it holds nothing). */
export const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** `return()`'s answer when it has nothing left to wait for: one settled promise for every stream, not one each. */
export const RETURNED: Promise<IteratorReturnResult<undefined>> = Promise.resolve(DONE);

/** `pull`'s answer when nothing is ready yet. */
export const WAIT: unique symbol = Symbol('wait');

export interface Pullable<T> {
  /** True when `pull` and `onReady` work (every layer below can be pulled from too). */
  readonly pullable: boolean;
  /**
   * The next item, `WAIT`, or `undefined` once the stream has ended (the reader still calls `return()`,
   * as after iterating). Never called again after it gave `undefined`.
   */
  pull(): T | typeof WAIT | undefined;
  /** Called whenever an item may have become ready; undefined stops the calls. */
  onReady(wake: (() => void) | undefined): void;
}

/** The stream can be read through `pull` all the way down. */
export function isPullable<T>(stream: object): stream is Pullable<T> & object {
  return (stream as Partial<Pullable<T>>).pullable === true;
}

/** The layer below, read by `pull`: for a layer's own `pull` and `onReady`, called only when it is `pullable`. */
export function pullerOf<T>(stream: object): Pullable<T> {
  return stream as Pullable<T>;
}

/** `return()` from `pull`, which cannot wait: started now, and its failure (none is expected) dropped. */
export function closeSoon(stream: { return(value?: undefined): Promise<unknown> }): undefined {
  stream.return(undefined).catch(() => undefined);
  return undefined;
}
