/**
 * The status page's only style sheet and script, inline: the page loads nothing else (no fonts, no CDN, no
 * network at all), and a strict Content-Security-Policy allows exactly these two by their SHA-256 hashes.
 * The script is a small ES module: hover tooltips for the uptime bars and local times for `<time>` tags.
 */
import { createHash } from 'node:crypto';

/** Colours by component status (and for uptime bars by uptime). */
export const STATUS_COLOURS = {
  operational: '#2f9e5b',
  degraded_performance: '#d6a800',
  partial_outage: '#e8743b',
  major_outage: '#d93030',
  under_maintenance: '#3b7fc4',
  no_data: '#c8ced6',
} as const;

const c = STATUS_COLOURS;

export const STATUS_CSS = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2430;background:#f5f6f8}
body{margin:0}main{max-width:980px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.6rem;margin:0 0 16px}h2{font-size:1.15rem;margin:32px 0 12px}
.banner{border-radius:8px;padding:14px 18px;color:#fff;font-weight:600;font-size:1.1rem}
.banner.none{background:${c.operational}}.banner.minor{background:${c.degraded_performance}}.banner.major{background:${c.partial_outage}}.banner.critical{background:${c.major_outage}}.banner.maintenance{background:${c.under_maintenance}}
.card{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:12px 16px;margin:8px 0}
.component{display:grid;grid-template-columns:1fr auto;gap:4px 12px;align-items:center;padding:10px 0;border-top:1px solid #eef0f3}
.component:first-child{border-top:0}.component.child{padding-left:22px}
.name{font-weight:600}.figures{color:#5b6272;font-size:.85rem}
.pill{display:inline-block;border-radius:999px;padding:2px 10px;font-size:.8rem;font-weight:600;color:#fff}
.s-operational{background:${c.operational}}.s-degraded_performance{background:${c.degraded_performance}}.s-partial_outage{background:${c.partial_outage}}.s-major_outage{background:${c.major_outage}}.s-under_maintenance{background:${c.under_maintenance}}
.bars{grid-column:1/3;width:100%;height:34px}.bars rect{cursor:default}
.u-full{fill:${c.operational}}.u-high{fill:#7cc68f}.u-mid{fill:${c.degraded_performance}}.u-low{fill:${c.partial_outage}}.u-down{fill:${c.major_outage}}.u-none{fill:${c.no_data}}
.bars-legend{grid-column:1/3;display:flex;justify-content:space-between;color:#8a90a0;font-size:.75rem}
.incident{border-left:4px solid ${c.partial_outage}}.incident.critical{border-left-color:${c.major_outage}}.incident.minor{border-left-color:${c.degraded_performance}}.incident.resolved{border-left-color:${c.operational}}
.incident h3{margin:4px 0 8px;font-size:1rem}.incident summary{cursor:pointer}.incident summary h3{display:inline-block;margin:0 0 0 4px}.timeline{list-style:none;margin:0;padding:0}
.timeline li{margin:6px 0;font-size:.9rem}.timeline .st{font-weight:700;text-transform:capitalize;margin-right:6px}.timeline time,.muted{color:#7a8091;font-size:.8rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:6px 8px;border-top:1px solid #eef0f3}
.sli{display:flex;align-items:center;gap:6px}.sli svg{width:120px;height:10px}.sli .track{fill:#eef0f3}.sli .prov{fill:#9aa3b5}.sli .cli{fill:${c.operational}}
.chart{width:100%;height:220px}.chart .axis{stroke:#c9ced6;stroke-width:1}.chart text{font-size:10px;fill:#7a8091}.chart polyline{fill:none;stroke-width:2}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:.8rem;color:#5b6272}.legend svg{width:14px;height:4px;vertical-align:middle;margin-right:4px}
.l0{stroke:#3b7fc4;fill:#3b7fc4}.l1{stroke:#d93030;fill:#d93030}.l2{stroke:#2f9e5b;fill:#2f9e5b}.l3{stroke:#8e44ad;fill:#8e44ad}.l4{stroke:#e8743b;fill:#e8743b}.l5{stroke:#16a2b8;fill:#16a2b8}
#tip{position:fixed;z-index:10;pointer-events:none;background:#1f2430;color:#fff;font-size:.8rem;padding:6px 8px;border-radius:6px;white-space:pre-line;max-width:320px;display:none}
section.provider-group>h3{margin:16px 0 4px;font-size:1rem}
footer{margin-top:32px;color:#8a90a0;font-size:.8rem}footer a{color:inherit}
`.trim();

export const STATUS_SCRIPT = `
const tip = document.getElementById('tip');
for (const el of document.querySelectorAll('[data-tip]')) {
  el.addEventListener('mouseenter', () => { tip.textContent = el.getAttribute('data-tip'); tip.style.display = 'block'; });
  el.addEventListener('mousemove', (e) => { tip.style.left = Math.min(e.clientX + 12, innerWidth - 330) + 'px'; tip.style.top = (e.clientY + 14) + 'px'; });
  el.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
}
for (const t of document.querySelectorAll('time[datetime]')) {
  const d = new Date(t.getAttribute('datetime'));
  if (!Number.isNaN(d.getTime())) { t.title = t.getAttribute('datetime'); t.textContent = d.toLocaleString(); }
}
`.trim();

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64');

/** Allows this page's inline style and script and nothing else (no network, no frames, no forms). */
export const STATUS_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${sha256(STATUS_CSS)}'`,
  `script-src 'sha256-${sha256(STATUS_SCRIPT)}'`,
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
