/**
 * Google Cloud's `incidents.json` (status.cloud.google.com): every incident of the last year, with the
 * products it affected. Google has no investigating/identified phases, so an incident is `investigating`
 * until it has an `end`, then `resolved`; its impact comes from `status_impact` and `severity`.
 */
import { z } from 'zod';
import type { VendorImpact } from '../../store/store.js';
import { VendorStatusError, epochMs, parseJsonText, type ParsedVendorIncident, type VendorSnapshot } from './vendor-snapshot.js';

const updateSchema = z.object({ when: z.string().nullish(), created: z.string().nullish(), text: z.string().nullish(), status: z.string().nullish() });

const incidentSchema = z.object({
  id: z.string().min(1),
  begin: z.string(),
  end: z.string().nullish(),
  external_desc: z.string().nullish(),
  severity: z.string().nullish(),
  status_impact: z.string().nullish(),
  service_name: z.string().nullish(),
  affected_products: z.array(z.object({ title: z.string() })).nullish(),
  uri: z.string().nullish(),
  updates: z.array(updateSchema).nullish(),
});

function impactOf(statusImpact: string | null | undefined, severity: string | null | undefined): VendorImpact {
  if (statusImpact === 'SERVICE_OUTAGE') return severity === 'high' ? 'critical' : 'major';
  if (statusImpact === 'SERVICE_DISRUPTION') return 'minor';
  return 'none';
}

export function parseGoogleIncidents(text: string): VendorSnapshot {
  const parsed = z.array(incidentSchema).safeParse(parseJsonText(text, 'the Google Cloud incidents.json'));
  if (!parsed.success) throw new VendorStatusError('malformed', `the Google Cloud incidents.json is not a list of incidents: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`);
  const incidents = parsed.data.flatMap((i) => {
    const begin = epochMs(i.begin);
    if (begin === undefined) return [];
    const end = epochMs(i.end);
    const products = (i.affected_products ?? []).map((p) => p.title);
    const incident: ParsedVendorIncident = {
      id: i.id,
      title: i.external_desc ?? i.service_name ?? i.id,
      status: end === undefined ? 'investigating' : 'resolved',
      impact: impactOf(i.status_impact, i.severity),
      components: products.length > 0 ? products : i.service_name ? [i.service_name] : [],
      startedAt: begin,
      updates: (i.updates ?? [])
        .map((u) => ({ at: epochMs(u.when) ?? epochMs(u.created) ?? begin, status: u.status === 'AVAILABLE' ? 'resolved' : 'investigating', body: u.text ?? '' }))
        .sort((a, b) => a.at - b.at),
    };
    if (end !== undefined) incident.resolvedAt = end;
    if (i.uri) incident.url = `https://status.cloud.google.com/${i.uri.replace(/^\//, '')}`;
    return [incident];
  });
  return { incidents, components: [] };
}
