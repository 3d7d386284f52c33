/**
 * Imported first by the `keel` command, for its side effect: the default heap growth (see
 * server/heap-growth.ts) is set before the rest of Keel loads, so the full collections of start-up already
 * size the heap by it. Set later, the limit those collections left (up to 4× the live heap) would stand
 * until the next full collection, and the first seconds of load would peak as if it were not set. `serve`
 * applies the configured value once the config is read. Allocation-site pretenuring is turned off here
 * too, before the config is parsed, for the same reason: start-up must not decide how requests allocate
 * (see `keepRequestGarbageYoung`).
 */
import { DEFAULTS } from '../config/defaults.js';
import { applyHeapGrowth, keepRequestGarbageYoung } from '../server/heap-growth.js';

keepRequestGarbageYoung();
applyHeapGrowth(DEFAULTS.server.heapGrowthPercent);
