/**
 * Atlassian Statuspage v2 (`/api/v2/summary.json`, `/api/v2/incidents.json`), the format Anthropic and
 * many others publish. Both documents share the incident shape; the summary adds the components' state.
 * Unknown fields are ignored, and a document that is not this shape is a `malformed` error, never a crash.
 */
import { z } from 'zod';
import type { VendorImpact } from '../../store/store.js';
import { VendorStatusError, epochMs, parseJsonText, type ParsedVendorIncident, type VendorSnapshot } from './vendor-snapshot.js';

const componentStatus = z.enum(['operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance']);

const incidentSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: z.string(),
  impact: z.string().nullish(),
  created_at: z.string(),
  started_at: z.string().nullish(),
  resolved_at: z.string().nullish(),
  shortlink: z.string().nullish(),
  incident_updates: z.array(z.object({ status: z.string(), body: z.string().nullish(), created_at: z.string(), display_at: z.string().nullish() })).default([]),
  components: z.array(z.object({ name: z.string() })).nullish(),
});

const documentSchema = z.object({
  incidents: z.array(incidentSchema).default([]),
  components: z.array(z.object({ name: z.string(), status: componentStatus.catch('operational'), group: z.boolean().nullish() })).default([]),
});

const IMPACTS: readonly string[] = ['none', 'minor', 'major', 'critical'] satisfies VendorImpact[];

export function parseStatuspage(text: string): VendorSnapshot {
  const parsed = documentSchema.safeParse(parseJsonText(text, 'the Statuspage document'));
  if (!parsed.success) throw new VendorStatusError('malformed', `the Statuspage document is not v2 JSON: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`);
  return {
    incidents: parsed.data.incidents.flatMap((i) => {
      const created = epochMs(i.created_at);
      if (created === undefined) return [];
      const incident: ParsedVendorIncident = {
        id: i.id,
        title: i.name,
        status: i.status.toLowerCase(),
        impact: (IMPACTS.includes(i.impact ?? '') ? i.impact : 'none') as VendorImpact,
        components: (i.components ?? []).map((c) => c.name),
        startedAt: epochMs(i.started_at) ?? created,
        updates: i.incident_updates
          .map((u) => ({ at: epochMs(u.display_at) ?? epochMs(u.created_at) ?? created, status: u.status.toLowerCase(), body: u.body ?? '' }))
          .sort((a, b) => a.at - b.at),
      };
      const resolved = epochMs(i.resolved_at);
      if (resolved !== undefined) incident.resolvedAt = resolved;
      if (i.shortlink) incident.url = i.shortlink;
      return [incident];
    }),
    components: parsed.data.components.filter((c) => c.group !== true).map((c) => ({ name: c.name, status: c.status })),
  };
}
