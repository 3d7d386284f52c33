/**
 * One timeline, two voices: a Keel incident beside the vendor incidents that match it (a mapped deployment
 * in common, declared windows within an hour of each other), with Keel's lead ("detected by Keel at T,
 * vendor 'Investigating' at T+Δ"), the vendor's declared window against the measured impact window, and
 * the disagreements worth a human's eye: the vendor silent while Keel measured an outage, or the vendor
 * declaring one that Keel's traffic never showed. Pure functions over stored records, shared by the status
 * page, `keel postmortem` and `keel sla report`, so the three say the same thing.
 */
import type { Incident, VendorIncident, VendorIncidentUpdate } from '../../store/store.js';

// A vendor often declares its incident well after the measured start, or backdates it; an hour either
// side pairs those, and is still short enough not to pair two separate outages of the same day.
export const MATCH_SLACK_MS = 60 * 60_000; // 1 h

export interface Window {
  startMs: number;
  /** Absent while open. */
  endMs?: number;
}

export interface VendorVoice {
  source: string;
  id: string;
  title: string;
  status: string;
  impact: VendorIncident['impact'];
  url?: string;
  /** The vendor's first update (its 'Investigating'), else the declared start. */
  acknowledgedAtMs: number;
  acknowledgedAs: string;
  /** acknowledgedAtMs − Keel's detection: positive when Keel knew first. */
  leadMs: number;
  declared: Window;
  firstSeenAtMs: number;
  updates: VendorIncidentUpdate[];
}

export type Disagreement = 'vendor_silent' | 'keel_silent';

export interface TwoVoices {
  keelDetectedAtMs: number;
  measured: Window;
  vendor: VendorVoice[];
  /** `vendor_silent`: mapped to a watched vendor page, and no matching vendor incident. */
  disagreement?: Disagreement;
  /** "detected by Keel at T, vendor 'Investigating' at T+Δ" (or that the vendor said nothing). */
  summary: string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** "12 min", "1 h 5 min", "40 s". */
export function formatDelta(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 60_000) return `${Math.round(abs / 1000)} s`;
  const minutes = Math.round(abs / 60_000);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 === 0 ? '' : ` ${minutes % 60} min`}`;
}

function overlaps(a: Window, b: Window, slackMs: number): boolean {
  return a.startMs - slackMs < (b.endMs ?? Number.POSITIVE_INFINITY) && b.startMs - slackMs < (a.endMs ?? Number.POSITIVE_INFINITY);
}

export function measuredWindow(incident: Incident): Window {
  const endMs = incident.impactEnd ?? incident.resolvedAt;
  return endMs === undefined ? { startMs: incident.impactStart } : { startMs: incident.impactStart, endMs };
}

export function declaredWindow(v: VendorIncident): Window {
  return v.resolvedAt === undefined ? { startMs: v.startedAt } : { startMs: v.startedAt, endMs: v.resolvedAt };
}

/** Whether a vendor incident speaks of the same deployments at about the same time as a Keel incident. */
export function vendorMatches(incident: Incident, affected: readonly string[], v: VendorIncident): boolean {
  return v.deployments.some((d) => affected.includes(d)) && overlaps(measuredWindow(incident), declaredWindow(v), MATCH_SLACK_MS);
}

/**
 * The two voices for one Keel incident. `affected`: the deployments the incident's component covers;
 * `watched`: deployments some vendor page is read for (silence only counts where Keel was listening).
 */
export function twoVoices(incident: Incident, affected: readonly string[], vendorIncidents: readonly VendorIncident[], watched: ReadonlySet<string>): TwoVoices {
  const detected = incident.openedAt;
  const vendor = vendorIncidents
    .filter((v) => v.impact !== 'none' && vendorMatches(incident, affected, v))
    .map((v): VendorVoice => {
      const first = v.updates[0];
      const acknowledgedAtMs = first?.at ?? v.startedAt;
      const voice: VendorVoice = {
        source: v.source,
        id: v.id,
        title: v.title,
        status: v.status,
        impact: v.impact,
        acknowledgedAtMs,
        acknowledgedAs: first?.status ?? v.status,
        leadMs: acknowledgedAtMs - detected,
        declared: declaredWindow(v),
        firstSeenAtMs: v.firstSeenAt,
        updates: v.updates,
      };
      if (v.url !== undefined) voice.url = v.url;
      return voice;
    })
    .sort((a, b) => a.acknowledgedAtMs - b.acknowledgedAtMs);
  const result: TwoVoices = { keelDetectedAtMs: detected, measured: measuredWindow(incident), vendor, summary: '' };
  const first = vendor[0];
  if (first !== undefined) {
    const sign = first.leadMs >= 0 ? '+' : '−';
    result.summary = `detected by Keel at ${iso(detected)}, vendor '${capitalise(first.acknowledgedAs)}' at T${sign}${formatDelta(first.leadMs)} (${iso(first.acknowledgedAtMs)})`;
  } else if (affected.some((d) => watched.has(d))) {
    result.disagreement = 'vendor_silent';
    result.summary = `detected by Keel at ${iso(detected)}; the vendor's status page declared nothing (vendor silent while Keel measured an outage)`;
  } else {
    result.summary = `detected by Keel at ${iso(detected)}; no vendor status page is read for ${affected.join(', ') || 'this component'}`;
  }
  return result;
}

/** Vendor incidents (with impact) on mapped deployments that no Keel incident matches: the reverse disagreement. */
export function vendorOnly(vendorIncidents: readonly VendorIncident[], incidents: readonly { incident: Incident; affected: readonly string[] }[]): VendorIncident[] {
  return vendorIncidents.filter((v) => v.impact !== 'none' && v.deployments.length > 0 && !incidents.some((k) => vendorMatches(k.incident, k.affected, v)));
}

/** The deployments an incident's component covers: `deployment:<id>` itself, `provider:<name>` all of its. */
export function deploymentsOfComponent<D extends { id: string; provider: string }>(component: string, deployments: readonly D[]): D[] {
  const colon = component.indexOf(':');
  const [kind, name] = [component.slice(0, colon), component.slice(colon + 1)];
  if (kind === 'deployment') return deployments.filter((d) => d.id === name);
  if (kind === 'provider') return deployments.filter((d) => d.provider === name);
  return [];
}

/** Deployments any resolved source maps a component to. */
export function watchedDeployments(sources: readonly { components: readonly { deployments: readonly string[] }[] }[]): Set<string> {
  return new Set(sources.flatMap((s) => s.components.flatMap((c) => c.deployments)));
}

function capitalise(word: string): string {
  return word.length === 0 ? word : word[0]!.toUpperCase() + word.slice(1);
}
