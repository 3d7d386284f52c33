/**
 * Cancellations as the request path watches them. An `AbortSignal` costs about 4 µs to make on Node 20 (an
 * EventTarget with its maps) and more per listener, and a request's own cancellations (the client leaving,
 * its deadline) are watched by every attempt but rarely fire; so they are `AbortWatch`es: their state,
 * and listeners kept in an array, with an `AbortSignal` made only for an API that takes one.
 */

/** A cancellation: its state, and listeners added and removed cheaply. */
export interface AbortWatch {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Calls `listener` once, when it aborts (never if it already has); returns the detach. */
  onAbort(listener: (reason: unknown) => void): () => void;
  /** The same cancellation as an `AbortSignal`, made on first use: for APIs that take one. */
  readonly signal: AbortSignal;
}

/** An `AbortSignal` watched as an `AbortWatch` (for callers that hold only a signal). */
export function watchSignal(signal: AbortSignal): AbortWatch {
  return {
    get aborted() {
      return signal.aborted;
    },
    get reason() {
      return signal.reason as unknown;
    },
    onAbort(listener) {
      const onAbort = (): void => listener(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
    signal,
  };
}

/** A cancellation that aborts when told (a client's disconnect), and the base of a `Deadline`. */
export class Abortable implements AbortWatch {
  #aborted = false;
  #reason: unknown;
  #listeners: ((reason: unknown) => void)[] | undefined;
  #controller: AbortController | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  onAbort(listener: (reason: unknown) => void): () => void {
    if (this.#aborted) return () => undefined;
    (this.#listeners ??= []).push(listener);
    return () => {
      const listeners = this.#listeners;
      const i = listeners === undefined ? -1 : listeners.indexOf(listener);
      if (i >= 0) listeners!.splice(i, 1);
    };
  }

  /** Aborts once, with `reason` (an `AbortError` when none is given), telling every watcher. */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener(this.#reason);
    this.#controller?.abort(this.#reason);
  }
}

/** What a request's cancellation may be: Keel's own `AbortWatch`, or an `AbortSignal` (the library's callers). */
export type Cancellation = AbortWatch | AbortSignal;

/** `cancellation` as an `AbortWatch`. */
export function watchOf(cancellation: Cancellation): AbortWatch {
  return 'onAbort' in cancellation ? cancellation : watchSignal(cancellation);
}

/** `cancellation` as an `AbortSignal`, for an API that takes one. */
export function signalOf(cancellation: Cancellation): AbortSignal {
  return 'onAbort' in cancellation ? cancellation.signal : cancellation;
}
