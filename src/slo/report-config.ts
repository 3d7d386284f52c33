/**
 * What `keel sla report` and `keel postmortem` read of `keel.yaml`: the deployments (id, provider, base
 * URL, model, price), the routes' deployment lists and the store path. Only those keys are read and
 * interpolated, so an operator's shell needs none of the providers' API keys to produce a report.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { interpolateEnv, type ConfigIssue } from '../config/load-config.js';
import { PROVIDERS } from '../config/schema.js';
import { statusSourcesSchema } from '../config/status-sources-schema.js';
import { watchedDeployments } from '../health/vendor/two-voices.js';
import { resolveStatusSources } from '../health/vendor/vendor-source-defaults.js';
import type { ReportDeployment } from './sla-report.js';

export interface ReportConfig {
  file: string | undefined;
  deployments: (ReportDeployment & { model?: string | undefined })[];
  routes: Record<string, string[]>;
  storePath: string;
  /** Deployments a vendor status page is read for (`status_sources.enabled`), else undefined. */
  vendorWatched: Set<string> | undefined;
}

const schema = z.looseObject({
  deployments: z
    .array(
      z.looseObject({
        id: z.string().min(1),
        provider: z.enum(PROVIDERS),
        model: z.string().optional(),
        base_url: z.string().optional(),
        price: z.looseObject({ input_per_mtok: z.number().nonnegative(), output_per_mtok: z.number().nonnegative() }).optional(),
      }),
    )
    .min(1),
  routes: z.record(z.string(), z.looseObject({ deployments: z.array(z.union([z.string(), z.looseObject({ id: z.string() })])) })).optional(),
  store: z.looseObject({ path: z.string().optional() }).optional(),
  status_sources: statusSourcesSchema.optional(),
});

type Env = Record<string, string | undefined>;

/** `--config`, else `$KEEL_CONFIG`, else `./keel.yaml`; `--store` overrides the config's store path (default `keel.db`). */
export function readReportConfig(options: { config?: string | undefined; store?: string | undefined }, env: Env = process.env): ReportConfig {
  const file = options.config ?? env['KEEL_CONFIG'] ?? (existsSync('keel.yaml') ? 'keel.yaml' : undefined);
  if (file === undefined) throw new Error('no config: pass --config keel.yaml (the report needs the deployments and their prices)');
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null;
  const picked = {
    deployments: Array.isArray(raw?.['deployments'])
      ? (raw['deployments'] as Record<string, unknown>[]).map((d) => pick(d, ['id', 'provider', 'model', 'base_url', 'price']))
      : raw?.['deployments'],
    routes: raw?.['routes'],
    store: raw?.['store'] === undefined ? undefined : pick(raw['store'] as Record<string, unknown>, ['path']),
    status_sources: raw?.['status_sources'],
  };
  const issues: ConfigIssue[] = [];
  const interpolated = interpolateEnv(picked, env, issues);
  const parsed = schema.safeParse(interpolated);
  if (issues.length > 0 || !parsed.success) {
    const problems = [...issues.map((i) => `${i.path}: ${i.message}`), ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))];
    throw new Error(`Invalid configuration in ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  const routes: Record<string, string[]> = {};
  for (const [name, r] of Object.entries(parsed.data.routes ?? {})) routes[name] = r.deployments.map((t) => (typeof t === 'string' ? t : t.id));
  return {
    file,
    deployments: parsed.data.deployments.map((d) => ({ id: d.id, provider: d.provider, model: d.model, base_url: d.base_url, price: d.price })),
    routes,
    storePath: options.store ?? (parsed.data.store?.path || 'keel.db'),
    vendorWatched: parsed.data.status_sources?.enabled === true ? watchedDeployments(resolveStatusSources(parsed.data.status_sources, parsed.data.deployments)) : undefined,
  };
}

function pick(from: Record<string, unknown> | null | undefined, keys: readonly string[]): Record<string, unknown> | undefined {
  if (from === null || from === undefined || typeof from !== 'object') return undefined;
  return Object.fromEntries(keys.filter((k) => k in from).map((k) => [k, from[k]]));
}
