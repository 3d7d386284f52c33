/**
 * Counters over a sliding time window, bucketed so memory stays bounded (window / bucket buckets) and
 * the state is plain JSON that a shared store can hold. The window is the current bucket plus the ones
 * before it that fit in `windowMs`; it slides a whole bucket at a time. The functions mutate the state
 * they are given: callers load it from their store, change it, and write it back.
 *
 * Every attempt reads a window (the throttle, the breaker), so its totals are kept up to date as buckets
 * come and go, beside the state rather than in it: a read costs the same with 120 buckets as with one,
 * and the state stays plain JSON. A state met for the first time (loaded from a store) is summed once.
 */

export interface WindowBucket<F extends string> {
  /** Start of the bucket, a multiple of bucketMs. */
  startMs: number;
  counts: Partial<Record<F, number>>;
}

export interface WindowState<F extends string> {
  /** Oldest first. */
  buckets: WindowBucket<F>[];
}

export interface WindowShape {
  windowMs: number;
  bucketMs: number;
}

/** Running totals per field of each state seen, for the buckets it holds now. */
const totalsOf = new WeakMap<WindowState<string>, Record<string, number>>();

/** The state's totals, summed from its buckets the first time it is seen. */
function totals<F extends string>(state: WindowState<F>): Record<string, number> {
  let sums = totalsOf.get(state);
  if (sums === undefined) {
    sums = {};
    for (const bucket of state.buckets) addCounts(sums, bucket.counts, 1);
    totalsOf.set(state, sums);
  }
  return sums;
}

function addCounts(sums: Record<string, number>, counts: Partial<Record<string, number>>, sign: 1 | -1): void {
  for (const field in counts) sums[field] = (sums[field] ?? 0) + sign * (counts[field] ?? 0);
}

export function emptyWindow<F extends string>(): WindowState<F> {
  return { buckets: [] };
}

export function addToWindow<F extends string>(
  state: WindowState<F>,
  shape: WindowShape,
  nowMs: number,
  field: F,
  amount = 1,
): void {
  prune(state, shape, nowMs);
  const sums = totals(state);
  sums[field] = (sums[field] ?? 0) + amount;
  const startMs = bucketStart(shape, nowMs);
  const last = state.buckets.at(-1);
  // A clock stepping backwards (NTP) lands in the newest bucket rather than reordering the window.
  if (last !== undefined && last.startMs >= startMs) {
    last.counts[field] = (last.counts[field] ?? 0) + amount;
    return;
  }
  const bucket: WindowBucket<F> = { startMs, counts: {} };
  bucket.counts[field] = amount;
  state.buckets.push(bucket);
}

/** Totals per field over the window ending at `nowMs`; fields never counted read as 0. */
export function sumWindow<F extends string>(
  state: WindowState<F>,
  shape: WindowShape,
  nowMs: number,
  fields: readonly F[],
): Record<F, number> {
  prune(state, shape, nowMs);
  const sums = totals(state);
  const out = {} as Record<F, number>;
  for (const field of fields) out[field] = sums[field] ?? 0;
  return out;
}

export function validateWindowShape(shape: WindowShape, owner: string): void {
  if (!(shape.bucketMs > 0) || !(shape.windowMs >= shape.bucketMs)) {
    throw new RangeError(`${owner}: need 0 < bucketMs <= windowMs, got ${JSON.stringify(shape)}`);
  }
}

function bucketStart(shape: WindowShape, nowMs: number): number {
  return Math.floor(nowMs / shape.bucketMs) * shape.bucketMs;
}

function prune<F extends string>(state: WindowState<F>, shape: WindowShape, nowMs: number): void {
  const oldestKeptStartMs = bucketStart(shape, nowMs) - shape.windowMs;
  let drop = 0;
  while (drop < state.buckets.length && (state.buckets[drop]?.startMs ?? Infinity) <= oldestKeptStartMs) drop++;
  if (drop === 0) return;
  const sums = totalsOf.get(state);
  if (sums !== undefined) for (let i = 0; i < drop; i++) addCounts(sums, state.buckets[i]!.counts, -1);
  state.buckets.splice(0, drop);
}
