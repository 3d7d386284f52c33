import { afterAll, beforeAll, beforeEach } from 'vitest';
import { closeAllPools } from '../../src/providers/http/upstream-pool.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

/**
 * A simulator for one test file: started before its tests, faults and stats cleared before each, closed
 * (with Keel's upstream pools) after them all. Returns a getter, valid once the file's tests run.
 */
export function simulatorForTests(options: SimulatorOptions): () => Simulator {
  let sim: Simulator | undefined;
  beforeAll(async () => {
    sim = await startSimulator(options);
  });
  afterAll(async () => {
    await closeAllPools();
    await sim?.close();
  });
  beforeEach(() => {
    sim!.clearFaults();
    sim!.resetStats();
  });
  return () => sim!;
}
