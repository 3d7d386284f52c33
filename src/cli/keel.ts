#!/usr/bin/env node
/**
 * The `keel` command: `serve` runs the gateway, `simulate` runs the provider simulator on its own.
 */
import './early-heap-growth.js';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/load-config.js';
import { startKeel } from '../server/start-keel.js';
import { applyHeapGrowth } from '../server/heap-growth.js';
import { keysCommand } from './keys-command.js';
import { drillCliCommand } from '../drill/drill-cli.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0-65535)');
  return n;
}

// Past the drain timeout, how long closing the connections may take before the process exits anyway.
const SHUTDOWN_GRACE_MS = 2_000; // 2 s

const program = new Command();
program.name('keel').description('Keel: a reliability gateway for apps that depend on LLM APIs').version('0.1.0');

program
  .command('serve')
  .description('run the gateway (with simulated providers when there is no config and no provider key)')
  .option('-c, --config <file>', 'config file (default: $KEEL_CONFIG, then ./keel.yaml)')
  .option('-p, --port <port>', 'port to listen on (overrides the config)', port)
  .option('-H, --host <host>', 'address to bind (overrides the config)')
  .option('--allow-open', 'serve without virtual keys on a non-loopback address')
  .action(async (opts: { config?: string; port?: number; host?: string; allowOpen?: boolean }) => {
    let keel;
    try {
      keel = await startKeel({
        ...(opts.config === undefined ? {} : { configPath: opts.config }),
        ...(opts.allowOpen === true ? { allowOpen: true } : {}),
        ...(opts.port === undefined ? {} : { port: opts.port }),
        ...(opts.host === undefined ? {} : { host: opts.host }),
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        console.error(err.message);
        process.exit(2);
      }
      throw err;
    }
    applyHeapGrowth(keel.config.server.heap_growth_percent);
    // Handlers first: whoever waits for the "listening" line may signal at once.
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      keel.logger.info({ signal }, 'draining in-flight requests');
      // The drain owns the drain timeout; closing connections (Redis, PostgreSQL) gets a moment more. Each
      // of them is bounded already: this is the backstop for one that is not, so a pod never hangs.
      const backstop = setTimeout(() => {
        keel.logger.warn({ signal }, 'shutdown overran the drain timeout; exiting anyway');
        process.exit(1);
      }, keel.config.server.drain_timeout_ms + SHUTDOWN_GRACE_MS);
      backstop.unref();
      void keel.stop().then(() => {
        keel.logger.info('stopped');
        process.exit(0);
      });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    const routes = [...keel.config.routes.values()].map((r) => `${r.name} → ${r.targets.map((t) => t.deployment.id).join(' → ')}`);
    keel.logger.info({ url: keel.url, config: keel.source, routes }, `Keel listening on ${keel.url}`);
    if (keel.gateway.console !== undefined) keel.logger.info({ console: `${keel.url}/console` }, `operator console at ${keel.url}/console (sign in with the admin token)`);
    if (keel.simulator !== undefined) {
      // The demo explains itself; a config file's own `simulator` section needs no excuse, just the address.
      if (keel.source === 'simulated demo') keel.logger.warn({ simulator: keel.simulator.url }, 'no config file and no provider API keys: serving simulated providers (the primary fails half its requests, so you can watch failover)');
      else keel.logger.info({ simulator: keel.simulator.url, config: keel.source }, 'serving the simulated providers of the config');
    }
  });

program
  .command('simulate')
  .description('run the provider simulator alone (OpenAI, Anthropic and Gemini wire formats, with faults)')
  .option('-p, --port <port>', 'port to listen on', port, 8788)
  .option('-H, --host <host>', 'address to bind', '127.0.0.1')
  .option('--token-delay-ms <ms>', 'delay between streamed tokens', (v) => Number(v), 20)
  .action(async (opts: { port: number; host: string; tokenDelayMs: number }) => {
    // Loaded here, not at start-up: `keel serve` with real providers never needs the simulator.
    const { startSimulator } = await import('../simulator/index.js');
    const sim = await startSimulator({ port: opts.port, host: opts.host, tokenDelayMs: opts.tokenDelayMs });
    console.log(`Simulator listening on ${sim.url} (control API: ${sim.url}/_sim/stats, POST ${sim.url}/_sim/faults)`);
    const stop = (): void => void sim.close().then(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });

// `keel drill <scenario | file.yaml>`: outage drills against Keel and the simulator (src/drill/).
program.addCommand(drillCliCommand());

program.addCommand(keysCommand());

// `keel sla report`, `keel postmortem`, `keel slo check`: SLA credits, postmortems and SLOs (src/slo/).
for (const command of (await import('./slo-command.js')).sloCliCommands()) program.addCommand(command);

await program.parseAsync(process.argv);
