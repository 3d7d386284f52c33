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

/**
 * Turns off V8's allocation-site pretenuring for the process. V8 watches which allocation sites' objects
 * survive young collections and, past a threshold, allocates everything those sites make straight into
 * the old generation. Start-up trips it: reading a large config (1,000 virtual keys) keeps nearly all it
 * allocates, and the sites it shares with the request path (object and array literals in common helpers)
 * are then pretenured for good, so every request's short-lived garbage goes to the old generation. Under
 * the bench's load that doubled the full collections and added a third to promotion, about 10 µs of CPU
 * per answer (+4 µs on the main thread, +7 µs on V8's helper threads), with nothing on the request path changed; with 1 key,
 * or with pretenuring off, the same process matched the keyless one. A gateway's heap after start-up is
 * request garbage that dies young, which is what the young generation is for.
 */
export function keepRequestGarbageYoung(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}

