/**
 * How far V8 lets the old generation grow past what a full collection left live before it collects
 * again. V8 picks the factor itself, from 1.1× up to 4× on a machine with more than about 8 GB of memory,
 * which suits a browser tab; a gateway's heap is mostly short-lived request garbage that outlived a young
 * collection, and at 4× a 25 MB live heap peaked near 190 MB RSS under the bench's load. `keel serve` sets
 * the factor to 1 + percent/100 (`server.heap_growth_percent`, default 50): full collections come more
 * often (about every 1.5 s under that load, a few ms each and mostly incremental), and the peak stays near
 * 140 MB. It is V8's `--heap-growing-percent`, read at every full collection, so setting it once the
 * process runs takes effect from the next one.
 *
 * Process-wide, so only the `serve` command sets it: an app that embeds Keel's router owns its own heap.
 */
import { setFlagsFromString } from 'node:v8';

/** Sets the growth; 0 gives the factor back to V8's heuristics. */
export function applyHeapGrowth(percent: number): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
