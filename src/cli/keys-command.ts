/**
 * `keel keys create | list | revoke | rotate`: virtual keys managed in the store file the config names
 * (`store.path`, default `keel.db`), the same way the admin API does it and with the same audit trail
 * (actor `cli:<user>`). Only `store.path` is read from the config, so an operator's shell needs none of the
 * providers' keys. A running gateway sees the change within a few seconds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parse } from 'yaml';
import { interpolateEnv } from '../config/load-config.js';
import { KeelError } from '../core/errors.js';
import { validationError } from '../api/validation-error.js';
import { KeyManager } from '../server/auth/key-manager.js';
import { keyView, newKeySchema } from '../server/auth/key-settings.js';
import { SqliteStore } from '../store/index.js';

interface StoreOptions {
  config?: string;
  store?: string;
}

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30d`, `12h`, `90m` from now, or an ISO date-time. */
function expiry(value: string): string {
  const match = DURATION.exec(value);
  if (match !== null) return new Date(Date.now() + Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]).toISOString();
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('expected a duration (30d, 12h, 90m) or an ISO date-time');
  return new Date(Date.parse(value)).toISOString();
}

function number(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** The store file: `--store`, else the config's `store.path`, else `keel.db`. */
export function storePath(options: StoreOptions, env: Record<string, string | undefined> = process.env): string {
  if (options.store !== undefined) return options.store;
  const configPath = options.config ?? env['KEEL_CONFIG'] ?? (existsSync('keel.yaml') ? 'keel.yaml' : undefined);
  if (configPath === undefined) return 'keel.db';
  const raw = parse(readFileSync(resolve(configPath), 'utf8')) as { store?: { path?: unknown } } | null;
  const path = interpolateEnv(raw?.store?.path, env, []);
  return typeof path === 'string' && path !== '' ? path : 'keel.db';
}

async function withKeys<T>(options: StoreOptions, run: (keys: KeyManager) => Promise<T>): Promise<T> {
  const store = new SqliteStore({ path: storePath(options) });
  try {
    await store.migrate();
    return await run(new KeyManager({ store, nowMs: Date.now }));
  } finally {
    await store.close();
  }
}

const actor = (): string => `cli:${process.env['USER'] ?? process.env['USERNAME'] ?? 'unknown'}`;

function fail(err: unknown): never {
  console.error(err instanceof KeelError ? `keel keys: ${err.message}` : err);
  process.exit(err instanceof KeelError ? 2 : 1);
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('manage virtual keys (in the store file named by the config)');
  const common = (cmd: Command): Command =>
    cmd.option('-c, --config <file>', 'config file naming the store (default: $KEEL_CONFIG, then ./keel.yaml)').option('--store <path>', 'store file (overrides the config)');

  common(keys.command('create'))
    .description('create a key; its secret is printed once and never stored')
    .requiredOption('--name <name>', 'a unique name for the key')
    .option('--tenant <tenant>', 'whose requests these are (default: the name)')
    .option('--models <list>', 'comma-separated model groups the key may use (default: all)', (v) => v.split(',').map((m) => m.trim()).filter((m) => m !== ''))
    .option('--rpm <n>', 'requests per minute', number)
    .option('--tpm <n>', 'tokens per minute', number)
    .option('--daily-budget <usd>', 'daily spend budget in USD (UTC days)', number)
    .option('--monthly-budget <usd>', 'monthly spend budget in USD (UTC months)', number)
    .option('--priority <class>', 'interactive | batch (batch is shed first under overload)')
    .option('--expires <when>', 'a duration (30d, 12h) or an ISO date-time', expiry)
    .option('--json', 'print JSON')
    .action(async (opts: StoreOptions & Record<string, unknown>) => {
      const input = Object.fromEntries(
        Object.entries({
          name: opts['name'],
          tenant: opts['tenant'],
          models: opts['models'],
          rpm: opts['rpm'],
          tpm: opts['tpm'],
          daily_budget_usd: opts['dailyBudget'],
          monthly_budget_usd: opts['monthlyBudget'],
          priority: opts['priority'],
          expires_at: opts['expires'],
        }).filter(([, v]) => v !== undefined),
      );
      const parsed = newKeySchema.safeParse(input);
      if (!parsed.success) fail(validationError(parsed.error, input));
      const issued = await withKeys(opts, (manager) => manager.create(parsed.data, actor())).catch(fail);
      const view = { ...keyView(issued.record, Date.now()), key: issued.secret };
      if (opts['json'] === true) console.log(JSON.stringify(view, null, 2));
      else console.log(`Created key ${issued.record.name} (${issued.record.id}) for tenant ${issued.record.tenant}.\n\n  ${issued.secret}\n\nThis secret is shown once and stored nowhere: keep it now.`);
    });

  common(keys.command('list'))
    .description('list keys (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (opts: StoreOptions & { json?: boolean }) => {
      const now = Date.now();
      const views = (await withKeys(opts, (manager) => manager.list()).catch(fail)).map((k) => keyView(k, now));
      if (opts.json === true) console.log(JSON.stringify(views, null, 2));
      else if (views.length === 0) console.log('No keys: Keel runs open (loopback only).');
      else for (const v of views) console.log(`${v['id']}  ${v['prefix']}  ${String(v['status']).padEnd(7)}  ${v['name']}  tenant=${v['tenant']}  models=${(v['models'] as string[] | null)?.join(',') ?? '*'}`);
    });

  common(keys.command('revoke <key>'))
    .description('revoke a key (by id or name): it stops working at once')
    .action(async (key: string, opts: StoreOptions) => {
      const record = await withKeys(opts, (manager) => manager.revoke(key, actor())).catch(fail);
      console.log(`Revoked key ${record.name} (${record.id}).`);
    });

  common(keys.command('rotate <key>'))
    .description('give a key (by id or name) a new secret; the old one stops working at once')
    .option('--json', 'print JSON')
    .action(async (key: string, opts: StoreOptions & { json?: boolean }) => {
      const issued = await withKeys(opts, (manager) => manager.rotate(key, actor())).catch(fail);
      if (opts.json === true) console.log(JSON.stringify({ ...keyView(issued.record, Date.now()), key: issued.secret }, null, 2));
      else console.log(`Rotated key ${issued.record.name} (${issued.record.id}).\n\n  ${issued.secret}\n\nThis secret is shown once and stored nowhere: keep it now.`);
    });

  return keys;
}
