/**
 * The statistic every in-turns figure of the bench reads: the median of its rounds. With an even count
 * (the bench runs 16 rounds) it is the mean of the two middle values, not either one: taking the upper
 * one read every cost and every added latency a rank high, and every throughput ratio a rank in Keel's
 * favour.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
