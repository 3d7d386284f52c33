/**
 * The vendor's voice as Markdown lines, for `keel postmortem` and `keel sla report` alike: the lead
 * sentence, each matching vendor incident with its declared window against the measured one, its updates,
 * and the disagreement flag when there is one.
 */
import { formatDelta, type TwoVoices, type Window } from '../health/vendor/two-voices.js';

const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function windowText(w: Window): string {
  return `${iso(w.startMs)} → ${w.endMs === undefined ? 'ongoing' : `${iso(w.endMs)} (${formatDelta(w.endMs - w.startMs)})`}`;
}

export function vendorVoiceLines(v: TwoVoices): string[] {
  const lines = [`- ${v.summary.charAt(0).toUpperCase()}${v.summary.slice(1)}.`, `- Measured impact window (Keel): ${windowText(v.measured)}.`];
  if (v.disagreement === 'vendor_silent') lines.push('- **Disagreement:** the vendor was silent while Keel measured an outage.');
  for (const voice of v.vendor) {
    lines.push(`- Vendor incident (${voice.source}) "${esc(voice.title)}", impact ${voice.impact}, now ${voice.status}${voice.url === undefined ? '' : ` — ${voice.url}`}:`);
    lines.push(`  - declared window (vendor): ${windowText(voice.declared)}; Keel ${voice.leadMs >= 0 ? 'knew' : 'learned'} ${formatDelta(voice.leadMs)} ${voice.leadMs >= 0 ? 'earlier' : 'later'}; first seen by Keel at ${iso(voice.firstSeenAtMs)}.`);
    for (const u of voice.updates) lines.push(`  - ${iso(u.at)} ${u.status}: ${esc(u.body)}`);
  }
  return lines;
}
