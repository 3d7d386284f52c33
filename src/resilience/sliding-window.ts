/**
 * Counters over a sliding time window, bucketed so memory stays bounded (window / bucket buckets) and
 * the state is plain JSON that a shared store can hold. The window is the current bucket plus the ones
 * before it that fit in `windowMs`; it slides a whole bucket at a time. The functions mutate the state
 * they are given: callers load it from their store, change it, and write it back.
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
  const totals = {} as Record<F, number>;
  for (const field of fields) totals[field] = 0;
  for (const bucket of state.buckets) {
    for (const field of fields) totals[field] += bucket.counts[field] ?? 0;
  }
  return totals;
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
  if (drop > 0) state.buckets.splice(0, drop);
}
