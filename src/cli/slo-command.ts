/**
 * The `keel sla report`, `keel postmortem` and `keel slo check` commands: thin wrappers that read the
 * config and the store file, call the slo box and print (or write) the result.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SqliteStore } from '../store/sqlite-store.js';
import { parseMonth } from '../slo/month.js';
import { parseOpenSlo, toOpenSlo } from '../slo/openslo.js';
import { buildPostmortem } from '../slo/postmortem.js';
import { renderPostmortem } from '../slo/postmortem-markdown.js';
import { readReportConfig, type ReportConfig } from '../slo/report-config.js';
import { formatSlaReport, SLA_FORMATS, type SlaFormat } from '../slo/sla-format.js';
import { buildSlaReport } from '../slo/sla-report.js';
import { loadSlaFile } from '../slo/sla-schema.js';

interface Common {
  config?: string;
  store?: string;
  sla?: string;
}

function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (default: $KEEL_CONFIG, then ./keel.yaml)')
    .option('--store <path>', "store file (default: the config's store.path, then keel.db)")
    .option('--sla <file>', 'provider SLA data (default: sla/providers.yaml shipped with Keel)');
}

async function withStore<T>(config: ReportConfig, run: (store: SqliteStore) => Promise<T>): Promise<T> {
  // Never create an empty store by mistake: a report on nothing would claim 100% uptime.
  if (config.storePath !== ':memory:' && !existsSync(config.storePath)) throw new Error(`no store file at ${config.storePath}: run Keel with this config first, or pass --store`);
  const store = new SqliteStore({ path: config.storePath });
  try {
    await store.migrate();
    return await run(store);
  } finally {
    await store.close();
  }
}

function emit(text: string, out: string | undefined): void {
  if (out === undefined) process.stdout.write(text);
  else {
    writeFileSync(out, text);
    console.error(`wrote ${out}`);
  }
}

function fail(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}

function isoTime(value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO date-time, e.g. 2025-06-10T10:14:00Z');
  return ms;
}

export function slaCommand(): Command {
  const sla = new Command('sla').description('provider SLAs: measured uptime, credits owed, claim deadlines');
  common(sla.command('report'))
    .description("a month's SLA report per provider and deployment, with the evidence for a claim")
    .requiredOption('--month <YYYY-MM>', 'the calendar month (UTC)')
    .addOption(new Option('--format <format>', 'output format').choices(SLA_FORMATS).default('table'))
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (opts: Common & { month: string; format: SlaFormat; out?: string }) => {
      try {
        const month = parseMonth(opts.month);
        const config = readReportConfig(opts);
        const slaFile = loadSlaFile(opts.sla);
        const report = await withStore(config, (store) => buildSlaReport({ store, deployments: config.deployments, sla: slaFile, month, ...(config.vendorWatched === undefined ? {} : { vendorWatched: config.vendorWatched }) }));
        emit(formatSlaReport(report, opts.format), opts.out);
      } catch (error) {
        fail(error);
      }
    });
  return sla;
}

export function postmortemCommand(): Command {
  return common(new Command('postmortem'))
    .description('draft a postmortem (Markdown) from an incident and the recorded rollups')
    .argument('<incident-id>', 'the incident, as listed on the status page or in `keel sla report`')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .option('--provider-first-update <time>', "when the provider's status page first acknowledged it (ISO)", isoTime)
    .action(async (incidentId: string, opts: Common & { out?: string; providerFirstUpdate?: number }) => {
      try {
        const config = readReportConfig(opts);
        const slaFile = loadSlaFile(opts.sla);
        const nowMs = Date.now();
        const pm = await withStore(config, (store) =>
          buildPostmortem({
            store,
            incidentId,
            deployments: config.deployments,
            routes: config.routes,
            sla: slaFile,
            nowMs,
            ...(config.vendorWatched === undefined ? {} : { vendorWatched: config.vendorWatched }),
            ...(opts.providerFirstUpdate === undefined ? {} : { providerFirstUpdateMs: opts.providerFirstUpdate }),
          }),
        );
        emit(renderPostmortem(pm, nowMs), opts.out);
      } catch (error) {
        fail(error);
      }
    });
}

export function sloCommand(): Command {
  const slo = new Command('slo').description("SLOs for Keel's own routes (OpenSLO)");
  slo
    .command('check')
    .description('validate an OpenSLO file and print it back in canonical form')
    .argument('<file>', 'OpenSLO YAML (one or more kind: SLO documents)')
    .action((file: string) => {
      try {
        process.stdout.write(toOpenSlo(parseOpenSlo(readFileSync(file, 'utf8'), file)));
      } catch (error) {
        fail(error);
      }
    });
  return slo;
}

/** Every command of the slo box, for `keel` to add. */
export function sloCliCommands(): Command[] {
  return [slaCommand(), postmortemCommand(), sloCommand()];
}
