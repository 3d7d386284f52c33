/**
 * Hedged requests: start the same request on a second deployment when the first is late (the trigger:
 * its attempt went overdue against its deployment's norm, or a configured delay passed), take whichever
 * answers first and cancel the other at once. This turns a silent or crawling provider into a short
 * detour, at the cost of a second call for the late few — which the caller charges to the retry budget,
 * so hedging never doubles the load.
 */
export interface HedgeRace<V> {
  /** Resolves when the first attempt is late enough to hedge; its signal aborts when the race is decided. */
  trigger(signal: AbortSignal): Promise<void>;
  /** Starts the first attempt; its signal aborts when the second wins. */
  first(signal: AbortSignal): Promise<V>;
  /** Starts the hedge, or returns undefined when none may be sent (no budget, no second deployment). */
  second(signal: AbortSignal): Promise<V> | undefined;
  /** The request is answered: the race is over. */
  isAnswer(value: V): boolean;
  /** The request must stop (a client error): no point waiting for the other. */
  isStop(value: V): boolean;
  /** Cleans up an answer that lost the race (closes its stream). */
  discard(value: V): void;
}

export async function hedge<V>(race: HedgeRace<V>): Promise<V> {
  const firstCancel = new AbortController();
  const first = race.first(firstCancel.signal);
  const timer = new AbortController();
  const timeUp = race.trigger(timer.signal).then(
    () => true,
    () => false,
  );
  const early = await Promise.race([first.then((value) => ({ done: true as const, value })), timeUp.then(() => ({ done: false as const }))]);
  if (early.done) {
    timer.abort();
    return early.value;
  }
  const secondCancel = new AbortController();
  const second = race.second(secondCancel.signal);
  if (second === undefined) return first;

  const entrants = [
    { promise: first, cancel: firstCancel },
    { promise: second, cancel: secondCancel },
  ];
  const settled = await Promise.race(entrants.map((e, i) => e.promise.then((value) => ({ i, value }))));
  const other = entrants[1 - settled.i]!;
  if (race.isAnswer(settled.value) || race.isStop(settled.value)) {
    other.cancel.abort(new Error('hedge lost'));
    void other.promise.then((value) => {
      if (race.isAnswer(value)) race.discard(value);
    });
    return settled.value;
  }
  // The faster one failed: the other is now the only hope.
  return other.promise;
}
