/**
 * Counting on the request path without prom-client's per-call work. A prom-client `inc` with labels
 * checks every label name and builds a label string to hash on each call; the counters every request
 * touches (requests, attempts, tokens) paid that four times a request. A tally keeps a running delta per
 * label set, found through nested maps of the label values (strings from the config or fixed sets, so the
 * lookups hash nothing new), and hands the deltas to its counter when the counter is scraped: `/metrics`
 * reads exactly what direct `inc`s would have made, a label set counted with 0 included.
 */
import { Counter, type Registry } from 'prom-client';

interface Leaf<L extends string> {
  labels: Record<L, string>;
  delta: number;
  /** Handed to the counter at least once (so a 0 still makes its series). */
  reported: boolean;
}

type Level<L extends string> = Map<string, Level<L> | Leaf<L>>;

const MAX_LABELS = 4;

export class LabelTally<L extends string> {
  private readonly root: Level<L> = new Map();
  private readonly leaves: Leaf<L>[] = [];

  constructor(private readonly labelNames: readonly L[]) {
    if (labelNames.length === 0 || labelNames.length > MAX_LABELS) throw new Error(`a tally takes 1 to ${MAX_LABELS} labels`);
  }

  /** Adds `n` to the label set with these values, in the order of `labelNames`. */
  add(n: number, a: string, b?: string, c?: string, d?: string): void {
    // Refused here, as prom-client's `inc` would: at scrape time it would break every scrape.
    if (!Number.isFinite(n)) throw new TypeError(`Value is not a valid number: ${n}`);
    if (n < 0) throw new Error('It is not possible to decrease a counter');
    const last = this.labelNames.length - 1;
    let level = this.root;
    for (let i = 0; i < last; i++) {
      const value = valueAt(i, a, b, c, d);
      let next = level.get(value) as Level<L> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(value, next);
      }
      level = next;
    }
    const value = valueAt(last, a, b, c, d);
    let leaf = level.get(value) as Leaf<L> | undefined;
    if (leaf === undefined) {
      const labels = {} as Record<L, string>;
      this.labelNames.forEach((name, i) => (labels[name] = valueAt(i, a, b, c, d)));
      leaf = { labels, delta: 0, reported: false };
      level.set(value, leaf);
      this.leaves.push(leaf);
    }
    leaf.delta += n;
  }

  /** Hands every delta to `counter` and starts again from 0. */
  drainInto(counter: Pick<Counter<L>, 'inc'>): void {
    for (const leaf of this.leaves) {
      if (leaf.delta === 0 && leaf.reported) continue;
      counter.inc(leaf.labels, leaf.delta);
      leaf.delta = 0;
      leaf.reported = true;
    }
  }
}

function valueAt(i: number, a: string, b: string | undefined, c: string | undefined, d: string | undefined): string {
  const value = i === 0 ? a : i === 1 ? b : i === 2 ? c : d;
  if (value === undefined) throw new Error(`label value ${i + 1} is missing`);
  return value;
}

/** A prom-client counter fed by a tally: `tally.add(…)` on the request path, the counter at scrape time. */
export function talliedCounter<L extends string>(config: { name: string; help: string; labelNames: readonly L[]; registers: Registry[] }): LabelTally<L> {
  const tally = new LabelTally(config.labelNames);
  new Counter<L>({
    ...config,
    collect() {
      tally.drainInto(this);
    },
  });
  return tally;
}
