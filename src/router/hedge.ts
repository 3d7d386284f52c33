/**
 * Hedged requests: start the same request on a second deployment when the first is late (the trigger:
 * its attempt went overdue against its deployment's norm, or a configured delay passed), take whichever
 * answers first and cancel the other at once. This turns a silent or crawling provider into a short
 * detour, at the cost of a second call for the late few — which the caller charges to the retry budget,
 * so hedging never doubles the load.
 *
 * Almost no request is ever hedged, and every request on a route with a second deployment runs here: until
 * the trigger fires, the first attempt runs alone, watched by one object (its callbacks made with it) and
 * the promise the request waits on. The race itself (the second attempt, promises racing) is set up only
 * when the trigger fires.
 */
import { Abortable, type AbortWatch } from '../resilience/index.js';

export interface HedgeRace<V> {
  /**
   * Arms the trigger: `fire` is to be called when the first attempt is late enough to hedge. Returns the
   * disarm, called once the first attempt settled (a pending timer must not outlive the request).
   */
  arm(fire: () => void): () => void;
  /**
   * Starts the first attempt; `cancel` aborts when the second wins, or when `second` gives it up. An
   * `Abortable`, not an AbortController: one costs about 4 µs on Node 20, and almost no race is ever
   * cancelled.
   */
  first(cancel: AbortWatch): Promise<V>;
  /**
   * Starts the hedge, or returns undefined when none may be sent (no second deployment). `giveUpFirst`
   * aborts the first attempt with a reason, for a hedge that replaces it rather than racing it.
   */
  second(cancel: AbortWatch, giveUpFirst: (reason: unknown) => void): Promise<V> | undefined;
  /** The request is answered: the race is over. */
  isAnswer(value: V): boolean;
  /** The request must stop (a client error): no point waiting for the other. */
  isStop(value: V): boolean;
  /** The value the request goes on with (the first attempt's alone, or the race's winner). */
  won(value: V): void;
  /** Cleans up an answer that lost the race (closes its stream). */
  discard(value: V): void;
}

/**
 * The reason a losing entrant is cancelled with: one shared object, no exception built per request. Its
 * attempt's record names it, whether it was cancelled or its whole answer came late and was discarded.
 */
export const HEDGE_LOST = new Error('the other attempt of its hedge answered first');

export function hedge<V>(race: HedgeRace<V>): Promise<V> {
  return new Hedge(race).run();
}

/** A trigger's disarm when there is nothing to disarm (no timer was set). */
export const NOT_ARMED = (): void => undefined;

class Hedge<V> {
  private readonly firstCancel = new Abortable();
  private first!: Promise<V>;
  private disarm = NOT_ARMED;
  private firstSettled = false;
  /** The trigger fired: the race answers the request, not the first attempt alone. */
  private raced = false;
  private resolve!: (value: V) => void;
  private reject!: (err: unknown) => void;

  constructor(private readonly race: HedgeRace<V>) {}

  run(): Promise<V> {
    const answer = new Promise<V>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.first = this.race.first(this.firstCancel);
    this.disarm = this.race.arm(this.fire);
    this.first.then(this.firstAnswered, this.firstFailed);
    return answer;
  }

  private readonly firstAnswered = (value: V): void => {
    this.firstSettled = true;
    this.disarm();
    if (!this.raced) this.answer(value);
  };

  private readonly answer = (value: V): void => {
    this.race.won(value);
    this.resolve(value);
  };

  private readonly firstFailed = (err: unknown): void => {
    this.firstSettled = true;
    this.disarm();
    if (!this.raced) this.reject(err); // raced: the race settles with it (or already has without it)
  };

  private readonly fire = (): void => {
    if (this.raced || this.firstSettled) return;
    this.raced = true;
    this.runRace(this.first).then(this.answer, this.reject);
  };

  private async runRace(first: Promise<V>): Promise<V> {
    const race = this.race;
    const secondCancel = new Abortable();
    const second = race.second(secondCancel, (reason) => this.firstCancel.abort(reason));
    if (second === undefined) return first;
    const entrants = [
      { promise: first, cancel: this.firstCancel },
      { promise: second, cancel: secondCancel },
    ];
    let settled: { i: number; value: V };
    try {
      settled = await Promise.race(entrants.map((e, i) => e.promise.then((value) => ({ i, value }))));
    } catch (err) {
      // An entrant threw (a bug, not a provider's failure: those are values): the request fails with it,
      // and an answer the other brings later is nobody's, so it is let go as a lost one.
      for (const e of entrants) this.letGo(e);
      throw err;
    }
    const other = entrants[1 - settled.i]!;
    if (race.isAnswer(settled.value) || race.isStop(settled.value)) {
      this.letGo(other);
      return settled.value;
    }
    // The faster one failed: the other is now the only hope.
    return other.promise;
  }

  /** Cancels an entrant the request no longer waits for, and discards the answer it may still bring. */
  private letGo(entrant: { promise: Promise<V>; cancel: Abortable }): void {
    const race = this.race;
    entrant.cancel.abort(HEDGE_LOST);
    entrant.promise.then(
      (value) => {
        if (race.isAnswer(value)) race.discard(value);
      },
      () => undefined, // its failure is its own record's; nobody waits for it
    );
  }
}
