/**
 * `status_sources`: reading the providers' public status pages (off by default). Each source is a vendor
 * page — a default one per provider Keel's deployments use (see `src/health/vendor/vendor-source-defaults.ts`),
 * or one named here with its format and URL — and patterns that map the vendor's component names to Keel
 * deployments. Defaults for the timings live beside the poller (`VENDOR_POLL_DEFAULTS`), with why.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const STATUS_SOURCE_FORMATS = ['statuspage', 'google', 'feed'] as const;

export const statusSourceSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Statuspage v2 JSON (base URL of the page), Google Cloud's incidents.json, or an RSS/Atom feed (their URLs). */
  format: z.enum(STATUS_SOURCE_FORMATS).optional(),
  url: z.url({ protocol: /^https?$/ }).optional(),
  /** Whose deployments a matching component maps to, when a pattern names no deployments (checked in schema.ts). */
  providers: z.array(z.string().min(1)).min(1).optional(),
  /** Vendor component names (`*` is a wildcard, case-insensitive) and the deployments they stand for. */
  components: z.array(z.strictObject({ match: z.string().min(1), deployments: z.array(z.string().min(1)).min(1).optional() })).min(1).optional(),
});

export const statusSourcesSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    // Vendor pages change every few minutes at most; a floor keeps Keel a polite reader of a public page.
    poll_interval_ms: positiveInt.min(10_000, 'expected at least 10000 ms: a public status page is not polled faster').optional(),
    timeout_ms: positiveInt.optional(),
    max_body_bytes: positiveInt.optional(),
    max_backoff_ms: positiveInt.optional(),
    /** What a vendor-declared major outage on a mapped component does to that deployment in the plan. */
    on_major_outage: z.enum(['annotate', 'demote', 'open']).default('annotate'),
    /** By name: overrides of the default sources (`anthropic`, `openai`, `google`, `aws`, `azure`) or new ones. */
    sources: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'expected a lower-case source name'), statusSourceSchema).default({}),
  })
  .prefault({});

export type StatusSourcesConfig = z.output<typeof statusSourcesSchema>;
export type StatusSourceConfig = z.output<typeof statusSourceSchema>;
