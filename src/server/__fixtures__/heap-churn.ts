/**
 * A gateway-shaped heap, for heap-growth.test.ts: a live set that stays (about 25 MB), and a stream of
 * objects that live long enough to be promoted, then die (old-generation garbage, as request state that
 * outlived a young collection is). Prints the old space's largest size as JSON. Argument: the growth
 * percent to apply (0: V8's own heuristics).
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { applyHeapGrowth } from '../heap-growth.js';

applyHeapGrowth(Number(process.argv[2]));
const live = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `live-${i}` }));
const ring: Array<{ i: number; s: string }> = new Array(50_000);
let maxOld = 0;
for (let i = 0; i < 6_000_000; i++) {
  ring[i % ring.length] = { i, s: `garbage-${i}` };
  if (i % 10_000 === 0) maxOld = Math.max(maxOld, getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_size);
}
process.stdout.write(`${JSON.stringify({ maxOldBytes: maxOld, live: live.length })}\n`);
