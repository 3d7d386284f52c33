/**
 * Provider SLAs as data (`sla/providers.yaml`): per provider offering, whether a public SLA exists, the
 * uptime target, how the provider counts downtime, what it excludes, the credit tiers and the claim
 * window, each entry with the pages it was read from and when. Terms not found in a source stay unset:
 * the report then says so instead of computing a credit from a guess.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { OUTCOMES, type Outcome } from '../core/outcome.js';
import { PROVIDERS, type ProviderName } from '../config/schema.js';
import { formatPath, lineOf } from './yaml-issues.js';

/** The data file shipped with Keel. */
export const SHIPPED_SLA_FILE = fileURLToPath(new URL('../../sla/providers.yaml', import.meta.url));

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'expected a lowercase id of letters, digits, ".", "_" or "-"');
const positiveInt = z.number().int().positive();
const percent = z.number().gt(0).lte(100);

export const downtimeSchema = z.discriminatedUnion('method', [
  /** An interval is down when its error rate is above the threshold (Google Cloud's "more than a 5% Error Rate"). */
  z.strictObject({
    method: z.literal('bad-intervals'),
    interval_minutes: positiveInt.default(1),
    error_rate_above: z.number().min(0).lt(1),
    /** Down intervals count only in runs at least this long ("five or more consecutive minutes"). */
    min_consecutive_intervals: positiveInt.default(1),
  }),
  /** Uptime = 100% − the average of each interval's error rate (intervals without requests count as 0%). */
  z.strictObject({ method: z.literal('average-error-rate'), interval_minutes: positiveInt.default(5) }),
]);

const sourceSchema = z.strictObject({
  url: z.url({ protocol: /^https$/ }),
  checked: z.iso.date(),
  /** What the page says, in its words (or a faithful summary of a translated page). */
  quote: z.string().min(1).optional(),
});

export const slaEntrySchema = z
  .strictObject({
    id,
    name: z.string().min(1),
    /** `published`: terms read from the provider's page; `none-found`: no public SLA; `unverified`: one is said to exist, terms not read. */
    status: z.enum(['published', 'none-found', 'unverified']),
    /** Which deployments this entry covers when none is assigned explicitly. */
    applies_to: z
      .strictObject({
        providers: z.array(z.enum(PROVIDERS)).min(1).optional(),
        /** A regular expression on the deployment's base URL (its provider's public URL when unset). */
        base_url: z.string().min(1).refine(isRegExp, 'expected a valid regular expression').optional(),
      })
      .optional(),
    sources: z.array(sourceSchema).min(1, 'expected at least one source: every entry says where it comes from'),
    notes: z.string().optional(),
    uptime_target_percent: percent.optional(),
    /** What the provider measures per (e.g. "AWS region", "Google Cloud project"): for the reader. */
    measured_per: z.string().optional(),
    downtime: downtimeSchema.optional(),
    /** Attempt outcomes counted as errors; default: provider faults (5xx, overload, rate limits, timeouts, connection failures, cut streams). */
    error_outcomes: z.array(z.enum(OUTCOMES)).min(1).optional(),
    exclusions: z
      .strictObject({
        /** Requests the provider refused as the caller's fault (400, 401, 403, 404, 413, 422) are left out. */
        client_errors: z.boolean().default(true),
        /** Minutes under a declared maintenance window of the deployment, its provider or this SLA are left out. */
        maintenance: z.boolean().default(true),
      })
      .prefault({}),
    credit_tiers: z.array(z.strictObject({ below_percent: percent, credit_percent: percent })).min(1).optional(),
    /** Credits are issued only when they come to more than this (AWS: "exceeds one US dollar"). */
    credit_issued_above_usd: z.number().nonnegative().optional(),
    claim_window: z
      .strictObject({
        days_after_month_end: positiveInt.optional(),
        /** "By the end of the N-th month after the month of the incident." */
        months_after_month_end: positiveInt.optional(),
        how: z.string().optional(),
      })
      .refine((w) => (w.days_after_month_end === undefined) !== (w.months_after_month_end === undefined), 'expected exactly one of days_after_month_end, months_after_month_end')
      .optional(),
  })
  .superRefine((e, ctx) => {
    if (e.status !== 'published') {
      for (const key of ['uptime_target_percent', 'credit_tiers', 'downtime'] as const) {
        if (e[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `expected no ${key} on an entry with status "${e.status}": unverified terms are not used for credits` });
      }
      return;
    }
    if (e.uptime_target_percent === undefined) ctx.addIssue({ code: 'custom', path: ['uptime_target_percent'], message: 'expected the uptime target of a published SLA' });
    const tiers = e.credit_tiers ?? [];
    tiers.forEach((t, i) => {
      if (i > 0 && t.below_percent >= tiers[i - 1]!.below_percent) ctx.addIssue({ code: 'custom', path: ['credit_tiers', i, 'below_percent'], message: 'expected tiers from the highest threshold down' });
      if (i > 0 && t.credit_percent <= tiers[i - 1]!.credit_percent) ctx.addIssue({ code: 'custom', path: ['credit_tiers', i, 'credit_percent'], message: 'expected a larger credit for a lower uptime' });
    });
  });

export const slaFileSchema = z
  .strictObject({
    version: z.literal(1),
    slas: z.array(slaEntrySchema).min(1),
    /** Deployment id → SLA id, for what `applies_to` cannot tell (a reseller, a negotiated contract). */
    deployments: z.record(z.string(), id).default({}),
  })
  .superRefine((file, ctx) => {
    const ids = new Set<string>();
    file.slas.forEach((e, i) => {
      if (ids.has(e.id)) ctx.addIssue({ code: 'custom', path: ['slas', i, 'id'], message: `expected a unique id: "${e.id}" is used twice` });
      ids.add(e.id);
    });
    for (const [deployment, slaId] of Object.entries(file.deployments)) {
      if (!ids.has(slaId)) ctx.addIssue({ code: 'custom', path: ['deployments', deployment], message: `expected the id of an SLA (one of: ${[...ids].join(', ')}), got "${slaId}"` });
    }
  });

export type SlaEntry = z.output<typeof slaEntrySchema>;
export type SlaFile = z.output<typeof slaFileSchema>;
export type DowntimeMethod = z.output<typeof downtimeSchema>;

export class SlaFileError extends Error {
  override readonly name = 'SlaFileError';
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`Invalid SLA data in ${file}:\n${issues.map((i) => `  ${i}`).join('\n')}`);
  }
}

export function parseSlaFile(text: string, file: string): SlaFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) throw new SlaFileError(file, doc.errors.map((e) => e.message));
  const parsed = slaFileSchema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;
  throw new SlaFileError(
    file,
    parsed.error.issues.map((issue) => {
      const line = lineOf(doc, issue.path, lineCounter);
      return `${file}${line === undefined ? '' : `:${line}`} ${formatPath(issue.path) || '(root)'}: ${issue.message}`;
    }),
  );
}

export function loadSlaFile(file: string = SHIPPED_SLA_FILE): SlaFile {
  return parseSlaFile(readFileSync(file, 'utf8'), file);
}

/** Where a deployment's requests go when its config has no `base_url`. */
const PUBLIC_BASE_URL: Record<ProviderName, string | undefined> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
  'openai-compatible': undefined,
  // Regional hosts; a host in any region matches the provider's `applies_to` pattern.
  bedrock: 'https://bedrock-runtime.us-east-1.amazonaws.com',
  vertex: 'https://aiplatform.googleapis.com',
  'azure-openai': undefined,
};

export interface SlaSubject {
  id: string;
  provider: ProviderName;
  base_url?: string | undefined;
}

/**
 * The SLA covering a deployment: an explicit assignment (`overrides`, e.g. from the config, then the data
 * file's `deployments`), else the first entry whose `applies_to` matches its provider and base URL.
 */
export function slaFor(deployment: SlaSubject, file: SlaFile, overrides: Readonly<Record<string, string>> = {}): SlaEntry | undefined {
  const assigned = overrides[deployment.id] ?? file.deployments[deployment.id];
  if (assigned !== undefined) {
    const entry = file.slas.find((e) => e.id === assigned);
    if (entry === undefined) throw new Error(`deployment "${deployment.id}" is assigned the SLA "${assigned}", which is not in the SLA data (${file.slas.map((e) => e.id).join(', ')})`);
    return entry;
  }
  const baseUrl = deployment.base_url ?? PUBLIC_BASE_URL[deployment.provider];
  return file.slas.find((e) => {
    const a = e.applies_to;
    if (a === undefined || (a.providers === undefined && a.base_url === undefined)) return false;
    if (a.providers !== undefined && !a.providers.includes(deployment.provider)) return false;
    return a.base_url === undefined || (baseUrl !== undefined && new RegExp(a.base_url, 'i').test(baseUrl));
  });
}

/** The attempt outcomes an SLA counts as errors. */
export function errorOutcomesOf(entry: SlaEntry | undefined, isProviderFault: (o: Outcome) => boolean): ReadonlySet<string> {
  return new Set(entry?.error_outcomes ?? OUTCOMES.filter(isProviderFault));
}

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
