/**
 * The smallest typed event emitter the policies need to report what they do (they never log or count:
 * telemetry subscribes). A listener that throws must not break the policy that emitted, nor the request
 * it was deciding for, so its error is rethrown on a fresh microtask, like EventTarget reports listener
 * errors: loud (an uncaught exception) but outside the caller's control flow. Each event's listeners are
 * an array replaced, never changed, when one is added or removed: `emit` (on every request, several
 * times) walks the array it found without copying it, and a listener added or removed meanwhile takes
 * effect from the next event, as with a copy.
 */
export type Listener<E> = (event: E) => void;

export class TypedEmitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, readonly Listener<never>[]>();

  /** Adds a listener (once, however often it is added); returns the function that removes it. */
  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): () => void {
    const list = this.#listeners.get(name) ?? [];
    if (!list.includes(listener as Listener<never>)) this.#listeners.set(name, [...list, listener as Listener<never>]);
    return () => this.off(name, listener);
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): void {
    const list = this.#listeners.get(name);
    if (list?.includes(listener as Listener<never>)) this.#listeners.set(name, list.filter((l) => l !== listener));
  }

  emit<K extends keyof Events>(name: K, event: Events[K]): void {
    const list = this.#listeners.get(name) as readonly Listener<Events[K]>[] | undefined;
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i]!(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
