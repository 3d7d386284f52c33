/**
 * The public status page, rendered on the server into one self-contained HTML document: the overall
 * banner, active incidents and maintenance, Keel and each provider with its deployments (status, live
 * figures, 90 daily uptime bars), the latency chart, per-route SLIs (providers vs clients) and past
 * incidents. It loads nothing from anywhere; the inline style and module are allowed by hash (STATUS_CSP).
 */
import { STATUS_CSS, STATUS_SCRIPT } from './status-page-assets.js';
import { esc, incidentCard, latencyChart, maintenanceCard, pct, pill, sliTable, spanLabel, time, uptimeBars } from './status-html-parts.js';
import type { PublicIncident, StatusComponent, StatusModel } from './status-model.js';

function figures(c: StatusComponent): string {
  const parts: string[] = [];
  if (c.live !== undefined) {
    parts.push(`${c.live.calls.toLocaleString('en-US')} ${c.kind === 'keel' ? 'requests' : 'calls'} in 5 min`);
    if (c.live.calls > 0) parts.push(`${pct(c.live.errorRate, 1)} failed`);
    if (c.live.p95TtftMs !== undefined) parts.push(`p50 / p95 first token ${c.live.p50TtftMs} / ${c.live.p95TtftMs} ms`);
  }
  // Over observed time only: a Keel started a minute ago has no 90-day uptime to show.
  parts.push(c.observedMinutes === 0 ? 'no uptime data yet' : `${pct(c.uptime)} uptime over the ${spanLabel(c.observedMinutes * 60_000)} observed`);
  return parts.join(' · ');
}

function componentRow(c: StatusComponent): string {
  const child = c.kind === 'deployment' ? ' child' : '';
  const label = c.kind === 'provider' ? `Provider ${c.name}` : c.kind === 'deployment' ? c.name : 'Keel (what clients receive)';
  return [
    `<div class="component${child}" id="${esc(c.id)}" data-status="${c.status}">`,
    `<div><span class="name">${esc(label)}</span><br><span class="figures">${esc(figures(c))}</span></div>`,
    `<div title="${esc(c.reason)}">${pill(c.status)}</div>`,
    uptimeBars(c.days, `${label}: daily uptime, last ${c.days.length} days`),
    `<div class="bars-legend"><span>${c.days.length} days ago</span><span>today</span></div>`,
    '</div>',
  ].join('');
}

/**
 * Active incidents, with those of one provider together under a heading when several of its deployments
 * are affected at once: one provider's outage reads as one story.
 */
function groupByProvider(incidents: PublicIncident[]): string {
  const byProvider = new Map<string, PublicIncident[]>();
  for (const i of incidents) byProvider.set(i.provider ?? '', [...(byProvider.get(i.provider ?? '') ?? []), i]);
  return [...byProvider]
    .map(([provider, group]) => {
      const cards = group.map((i) => incidentCard(i, true)).join('');
      return provider === '' || group.length < 2 ? cards : `<section class="provider-group"><h3>Provider ${esc(provider)}: ${group.length} incidents</h3>${cards}</section>`;
    })
    .join('');
}

export function renderStatusHtml(model: StatusModel): string {
  const banner = model.overall.status === 'under_maintenance' ? 'maintenance' : model.overall.indicator;
  const keel = model.components.filter((c) => c.kind === 'keel');
  const groups = model.components
    .filter((c) => c.kind === 'provider')
    .map((p) => `<section class="card">${componentRow(p)}${model.components.filter((d) => d.groupId === p.id).map(componentRow).join('')}</section>`);
  const active = groupByProvider(model.incidents.active);
  const past = model.incidents.past.map((i) => incidentCard(i, false)).join('');
  const maintenance = model.maintenance.map(maintenanceCard).join('');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(model.page.name)}</title>`,
    '<link rel="icon" href="data:,">',
    '<link rel="alternate" type="application/atom+xml" title="Incidents" href="status/feed.atom">',
    `<style>${STATUS_CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    `<h1>${esc(model.page.name)}</h1>`,
    `<div class="banner ${banner}" id="overall">${esc(model.overall.description)}</div>`,
    model.incidents.active.length === 0 ? '' : `<h2>Active incidents</h2>${active}`,
    maintenance === '' ? '' : `<h2>Maintenance</h2>${maintenance}`,
    '<h2>Components</h2>',
    `<section class="card">${keel.map(componentRow).join('')}</section>`,
    ...groups,
    '<h2>Time to first token (p95, last 24 hours)</h2>',
    `<section class="card">${latencyChart(model.latency)}</section>`,
    '<h2>Availability per route: providers vs clients</h2>',
    `<section class="card">${sliTable(model.slis)}<p class="muted">Providers: the share of upstream attempts on the route's deployments that succeeded. Clients: the share of requests Keel answered, after retries and failover. The difference is what Keel saved.</p></section>`,
    '<h2>Past incidents</h2>',
    past === '' ? '<p class="muted">No incidents in the last 14 days.</p>' : past,
    `<footer>Generated ${time(model.page.generatedAtMs)}. Machine-readable: <a href="status.json">status.json</a> · <a href="status/incidents.json">incidents.json</a> · <a href="status/feed.atom">Atom feed</a></footer>`,
    '</main>',
    '<div id="tip" role="tooltip"></div>',
    `<script type="module">${STATUS_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
