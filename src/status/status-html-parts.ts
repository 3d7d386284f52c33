/**
 * The pieces of the status page, each a pure function from model data to escaped HTML: uptime bars, the
 * latency chart (inline SVG), the SLI comparison per route, and incident timelines.
 */
import type { TwoVoices } from '../health/vendor/two-voices.js';
import type { ComponentStatus } from '../store/store.js';
import { impactIndicator } from './statuspage-json.js';
import type { DayFigures, LatencySeries, PublicIncident, PublicMaintenance, RouteSli } from './status-model.js';

/** Escapes text for HTML content and double-quoted attributes. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export const STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

export function time(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

export function pct(ratio: number | undefined, digits = 2): string {
  return ratio === undefined ? '—' : `${(ratio * 100).toFixed(digits)}%`;
}

export function pill(status: ComponentStatus): string {
  return `<span class="pill s-${status}">${STATUS_LABEL[status]}</span>`;
}

function uptimeClass(uptime: number | undefined): string {
  if (uptime === undefined) return 'u-none';
  if (uptime >= 0.9995) return 'u-full';
  if (uptime >= 0.995) return 'u-high';
  if (uptime >= 0.98) return 'u-mid';
  if (uptime >= 0.95) return 'u-low';
  return 'u-down';
}

function dayTip(d: DayFigures): string {
  const lines = [`${d.day}: ${d.uptime === undefined ? 'no data' : `${pct(d.uptime)} uptime`}`];
  if (d.majorMinutes + d.partialMinutes > 0) lines.push(`${d.majorMinutes} min major outage, ${d.partialMinutes} min partial outage`);
  if (d.calls > 0) lines.push(`${d.calls.toLocaleString('en-US')} calls, ${d.failures.toLocaleString('en-US')} failed`);
  for (const i of d.incidents.slice(0, 3)) lines.push(`Incident: ${i.title}`);
  if (d.incidents.length > 3) lines.push(`and ${d.incidents.length - 3} more incidents`);
  return lines.join('\n');
}

/** One bar per day, coloured by uptime; hover shows the day's figures and incidents. */
export function uptimeBars(days: DayFigures[], label: string): string {
  const rects = days.map((d, i) => {
    const tip = dayTip(d);
    return `<rect x="${i * 5}" y="0" width="4" height="34" rx="1" class="${uptimeClass(d.uptime)}" data-tip="${esc(tip)}"><title>${esc(tip)}</title></rect>`;
  });
  return `<svg class="bars" viewBox="0 0 ${days.length * 5 - 1} 34" preserveAspectRatio="none" role="img" aria-label="${esc(label)}">${rects.join('')}</svg>`;
}

/** p95 time to first token per deployment, hourly over the last day, one line each. */
export function latencyChart(series: LatencySeries[]): string {
  const drawn = series.filter((s) => s.points.some((p) => p.p95Ms !== undefined));
  if (drawn.length === 0) return '<p class="muted">No successful calls in the last 24 hours.</p>';
  const [w, h, left, bottom] = [900, 220, 48, 24];
  const points = drawn[0]!.points.length;
  const max = niceCeiling(Math.max(...drawn.flatMap((s) => s.points.map((p) => p.p95Ms ?? 0))));
  const x = (i: number): number => left + (i * (w - left - 8)) / Math.max(1, points - 1);
  const y = (ms: number): number => h - bottom - (ms / max) * (h - bottom - 10);
  const lines = drawn.map((s, n) => {
    const segments: string[][] = [[]];
    s.points.forEach((p, i) => (p.p95Ms === undefined ? segments.push([]) : segments.at(-1)!.push(`${x(i).toFixed(1)},${y(p.p95Ms).toFixed(1)}`)));
    return segments
      .filter((seg) => seg.length > 0)
      .map((seg) => (seg.length === 1 ? `<circle class="l${n % 6}" cx="${seg[0]!.split(',')[0]}" cy="${seg[0]!.split(',')[1]}" r="2"/>` : `<polyline class="l${n % 6}" points="${seg.join(' ')}"/>`))
      .join('');
  });
  const ticks = [0, max / 2, max].map((v) => `<text x="${left - 6}" y="${y(v) + 3}" text-anchor="end">${formatMs(v)}</text><line class="axis" x1="${left}" x2="${w - 8}" y1="${y(v)}" y2="${y(v)}"/>`);
  const hours = drawn[0]!.points
    .map((p, i) => (i % 6 === 0 ? `<text x="${x(i)}" y="${h - 6}" text-anchor="middle">${new Date(p.hourStartMs).toISOString().slice(11, 16)}</text>` : ''))
    .join('');
  const legend = drawn.map((s, n) => `<span><svg viewBox="0 0 14 4"><rect class="l${n % 6}" width="14" height="4"/></svg>${esc(s.deployment)}</span>`).join('');
  return `<svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="p95 time to first token per deployment, last 24 hours">${ticks.join('')}${hours}${lines.join('')}</svg><div class="legend">${legend}</div>`;
}

function niceCeiling(ms: number): number {
  const steps = [100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000];
  return steps.find((s) => s >= ms) ?? Math.ceil(ms / 60_000) * 60_000;
}

function formatMs(ms: number): string {
  return ms >= 1_000 ? `${(ms / 1_000).toFixed(ms % 1_000 === 0 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

function sliBar(ratio: number | undefined, cls: string): string {
  const width = ratio === undefined ? 0 : Math.max(0, Math.min(1, ratio)) * 120;
  return `<svg viewBox="0 0 120 10"><rect class="track" width="120" height="10" rx="2"/><rect class="${cls}" width="${width.toFixed(1)}" height="10" rx="2"/></svg>`;
}

/** Two SLIs side by side per route: the providers' first-hand success and what clients received. */
export function sliTable(slis: RouteSli[]): string {
  if (slis.length === 0) return '<p class="muted">No routes configured.</p>';
  const rows = slis.map((s) => {
    const gain = s.providers.ratio === undefined || s.clients.ratio === undefined ? '—' : `${((s.clients.ratio - s.providers.ratio) * 100 >= 0 ? '+' : '')}${((s.clients.ratio - s.providers.ratio) * 100).toFixed(2)} pts`;
    return `<tr><td>${esc(s.route)}</td><td>${esc(s.windowLabel)}${s.observedMs > 0 && s.observedMs < s.windowMs ? ` <span class="muted">(${spanLabel(s.observedMs)} observed)</span>` : ''}</td><td><span class="sli">${sliBar(s.providers.ratio, 'prov')}${pct(s.providers.ratio)}</span><span class="muted">${s.providers.good.toLocaleString('en-US')} of ${s.providers.total.toLocaleString('en-US')} attempts</span></td><td><span class="sli">${sliBar(s.clients.ratio, 'cli')}${pct(s.clients.ratio)}</span><span class="muted">${s.clients.good.toLocaleString('en-US')} of ${s.clients.total.toLocaleString('en-US')} requests${s.clients.degraded > 0 ? `, ${s.clients.degraded} degraded` : ''}</span></td><td>${gain}</td></tr>`;
  });
  return `<table><thead><tr><th>Route</th><th>Window</th><th>Providers delivered (per upstream attempt)</th><th>Clients received (after retries and failover)</th><th>Keel's difference</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** A span of observed time in words: "47 minutes", "5 hours", "3 days" (whole units, rounded). */
export function spanLabel(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const [n, unit] = minutes < 120 ? [minutes, 'minute'] : minutes < 48 * 60 ? [Math.round(minutes / 60), 'hour'] : [Math.round(minutes / 1440), 'day'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export function incidentCard(i: PublicIncident, open: boolean): string {
  const timeline = [...i.updates]
    .reverse()
    .map((u) => `<li><span class="st">${esc(u.status)}</span>${time(u.at)}${u.automatic ? ' <span class="muted">(automatic)</span>' : ''}<br>${esc(u.message)}</li>`)
    .join('');
  const window = `Impact ${i.impact.replace('_', ' ')} from ${time(i.impactStart)}${i.impactEnd === undefined ? ', ongoing' : ` to ${time(i.impactEnd)}`}`;
  const body = `<p class="muted">Affects ${esc(i.componentName)}. ${window}.</p><ol class="timeline">${timeline}</ol>${i.vendor === undefined ? '' : vendorVoice(i.vendor)}`;
  const classes = `card incident ${impactIndicator(i.impact)}${i.status === 'resolved' ? ' resolved' : ''}`;
  const heading = `<h3>${esc(i.title)} <span class="muted">${esc(i.status)}</span></h3>`;
  return open ? `<article class="${classes}" id="${esc(i.id)}">${heading}${body}</article>` : `<article class="${classes}" id="${esc(i.id)}"><details><summary>${heading}</summary>${body}</details></article>`;
}

/** The vendor's voice under Keel's timeline: the lead, each vendor incident's declared window and updates. */
function vendorVoice(v: TwoVoices): string {
  const flag = v.disagreement === 'vendor_silent' ? ' <strong>Disagreement: the vendor was silent while Keel measured an outage.</strong>' : '';
  const incidents = v.vendor
    .map((x) => {
      const declared = `declared ${time(x.declared.startMs)}${x.declared.endMs === undefined ? ', ongoing' : ` to ${time(x.declared.endMs)}`}`;
      const updates = [...x.updates].reverse().map((u) => `<li><span class="st">${esc(u.status)}</span>${time(u.at)} <span class="muted">(vendor)</span><br>${esc(u.body)}</li>`).join('');
      return `<p class="muted">Vendor (${esc(x.source)}): ${esc(x.title)}, ${declared}.</p><ol class="timeline vendor">${updates}</ol>`;
    })
    .join('');
  return `<section class="vendor-voice"><p>${esc(v.summary.charAt(0).toUpperCase() + v.summary.slice(1))}.${flag}</p>${incidents}</section>`;
}

export function maintenanceCard(m: PublicMaintenance): string {
  const state = m.state.replace('_', ' ');
  return `<article class="card"><strong>${esc(m.componentName)}</strong> <span class="muted">${esc(state)}</span><br>${time(m.startsAt)} to ${time(m.endsAt)}<br>${esc(m.description)}</article>`;
}
