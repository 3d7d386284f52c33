/**
 * Entry point of a simulator child process: starts Keel's provider simulator with the options given as
 * JSON in argv[2] and prints its URL as one JSON line. It runs in its own process so the load generator,
 * the gateway under test and the upstream each have their own event loop, as they would in production;
 * stats are read through the simulator's control API (`GET /_sim/stats`).
 */
import { startSimulator, type SimulatorOptions } from '../src/simulator/index.js';

const options = JSON.parse(process.argv[2] ?? '{}') as SimulatorOptions;
// Loopback only, whatever the options say: the bench never sends traffic off the machine.
const sim = await startSimulator({ ...options, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url: sim.url })}\n`);

const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
