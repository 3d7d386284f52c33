/**
 * Where a policy keeps its per-deployment state. Policies never hold state in fields of their own: they
 * load a plain JSON value by deployment id, change it, and store it back, so a store shared between Keel
 * instances (Redis, a later issue) can replace this in-memory one behind the same interface.
 *
 * The interface is synchronous on purpose: policies sit on the request path and must answer without a
 * network round trip. A shared store is expected to keep a local copy and reconcile in the background.
 */
export interface StateStore<S> {
  get(key: string): S | undefined;
  set(key: string, state: S): void;
  delete(key: string): void;
  keys(): IterableIterator<string>;
}

export class MemoryStateStore<S> implements StateStore<S> {
  readonly #states = new Map<string, S>();

  get(key: string): S | undefined {
    return this.#states.get(key);
  }

  set(key: string, state: S): void {
    this.#states.set(key, state);
  }

  delete(key: string): void {
    this.#states.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.#states.keys();
  }
}
