/**
 * Hedged requests: start the same request on a second deployment when the first has not answered after
 * a delay (the route's recent p95 time to first answer, or a configured delay), take whichever answers
 * first and cancel the other. This cuts tail latency when one deployment is slow, at the cost of a second
 * call for the slowest few percent of requests — which the caller charges to the retry budget, so hedging
 * never doubles the load.
 */
import type { Clock } from '../core/clock.js';

export interface HedgeRace<V> {
  delayMs: number;
  clock: Clock;
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
  const timeUp = race.clock.sleep(race.delayMs, timer.signal).then(
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
