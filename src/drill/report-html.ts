/**
 * The drill report as one self-contained HTML file: inline CSS, inline SVG charts (success rate through
 * Keel next to the primary called directly, latency, and each deployment's share of answers over time),
 * the tables of the text report, and the report JSON embedded as data. No script, no network, no
 * external file: it opens from disk in any browser.
 */
import { vendorRows } from './vendor-voice.js';
import { formatDurationMs } from './duration.js';
import { describeExtraCost, formatBack, formatDetect, formatPercent, formatUsd } from './report-stats.js';
import type { DrillReport, PhaseStats } from './report-types.js';
import { escapeXml, lineChart, stackedChart, type ChartFrame } from './svg-chart.js';

const PALETTE = ['#2b6cb0', '#2f855a', '#b7791f', '#6b46c1', '#c05621', '#2c7a7b', '#97266d', '#4a5568'];
const ERROR_COLOR = '#c53030';
const LOST_COLOR = '#000000';
const DEGRADED_COLOR = '#a0aec0';

const ms = (v: number | null): string => (v === null ? '—' : formatDurationMs(v));

/** Numbers right-aligned, the columns listed in `text` left-aligned; a `totals` row in bold. */
function table(header: string[], rows: string[][], options: { text?: number[]; totals?: boolean } = {}): string {
  const text = new Set([0, ...(options.text ?? [])]);
  const cell = (tag: string, c: string, i: number): string => `<${tag}${text.has(i) ? ' class="t"' : ''}>${escapeXml(c)}</${tag}>`;
  const th = header.map((h, i) => cell('th', h, i)).join('');
  const trs = rows.map((r, j) => `<tr${options.totals === true && j === rows.length - 1 ? ' class="total"' : ''}>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

function phaseRow(p: PhaseStats): string[] {
  const errors = Object.entries(p.failed_by_type).map(([t, n]) => `${n}× ${t}`).join(', ');
  return [
    p.name,
    p.name === 'overall' ? '' : formatDurationMs(p.scenario_start_ms),
    String(p.sent),
    String(p.succeeded),
    String(p.degraded),
    `${p.failed}${errors === '' ? '' : ` (${errors})`}`,
    String(p.lost),
    formatPercent(p.availability),
    formatPercent(p.primary_direct.availability, 1),
    formatPercent(p.first_attempt_success, 1),
    `${ms(p.latency_ms.p50)} / ${ms(p.latency_ms.p99)} / ${ms(p.latency_ms.max)}`,
    `${ms(p.ttft_ms.p50)} / ${ms(p.ttft_ms.p95)}`,
    p.attempts_per_request === null ? '—' : p.attempts_per_request.toFixed(2),
    formatDetect(p.time_to_detect_ms),
    formatBack(p.time_back_on_primary_ms),
    p.cost_usd === null ? '—' : formatUsd(p.cost_usd.extra),
  ];
}

function charts(report: DrillReport): string {
  const frame: ChartFrame = {
    durationMs: report.scenario.scenario_duration_ms,
    phases: report.phases.map((p) => ({ name: p.name, startMs: p.scenario_start_ms, endMs: p.scenario_end_ms })),
  };
  const buckets = report.series.buckets;
  const xs = buckets.map((b) => b.scenario_ms);
  const mid = (i: number): number => (xs[i]! + (xs[i + 1] ?? report.scenario.scenario_duration_ms)) / 2;
  const share = (n: number, d: number): number | null => (d === 0 ? null : n / d);
  const success = lineChart('success-rate', 'Success rate: clients through Keel vs. the primary called directly', frame, [
    { name: 'through Keel', color: PALETTE[0]!, points: buckets.map((b, i) => [mid(i), share(b.succeeded, b.sent)]) },
    { name: `${report.scenario.primary} direct`, color: ERROR_COLOR, dashed: true, points: buckets.map((b, i) => [mid(i), share(b.direct_succeeded, b.direct_sent)]) },
  ], { yMin: 0, yMax: 1, format: (v) => `${Math.round(v * 100)}%` });
  const latency = lineChart('latency', 'Latency through Keel (p50 and p95 per interval)', frame, [
    { name: 'p50', color: PALETTE[1]!, points: buckets.map((b, i) => [mid(i), b.latency_p50_ms]) },
    { name: 'p95', color: PALETTE[2]!, points: buckets.map((b, i) => [mid(i), b.latency_p95_ms]) },
  ], { yMin: 0, format: (v) => formatDurationMs(v) });
  const ids = report.deployments.map((d) => d.id);
  const shares = stackedChart('deployment-share', 'Share of requests answered by each deployment (and degraded, failed, lost)', frame, xs, [
    ...ids.map((id, i) => ({ name: id, color: PALETTE[i % PALETTE.length]!, values: buckets.map((b) => share(b.served_by[id] ?? 0, b.sent) ?? 0) })),
    { name: 'degraded', color: DEGRADED_COLOR, values: buckets.map((b) => share(b.degraded, b.sent) ?? 0) },
    { name: 'failed', color: ERROR_COLOR, values: buckets.map((b) => share(b.failed, b.sent) ?? 0) },
    { name: 'lost', color: LOST_COLOR, values: buckets.map((b) => share(b.lost, b.sent) ?? 0) },
  ]);
  return success + latency + shares;
}

export function renderReportHtml(report: DrillReport): string {
  const s = report.scenario;
  const o = report.overall;
  const checks = report.checks.map((c) => `<li class="${c.ok ? 'pass' : 'fail'}">${c.ok ? 'PASS' : 'FAIL'} — ${escapeXml(c.name)}: ${escapeXml(c.detail)}</li>`).join('');
  const cost = o.cost_usd === null ? '<p>No prices configured for the primary: no cost figures.</p>' : `<p>Upstream cost of the drill's traffic: <b>${formatUsd(o.cost_usd.actual)}</b>; had the primary answered everything: ${formatUsd(o.cost_usd.if_primary)}; <b>${escapeXml(describeExtraCost(o.cost_usd.extra))}</b>.</p>`;
  const c = report.cross_checks;
  // The JSON is data, not script: `<` is escaped so no string in it can close the element.
  const data = JSON.stringify(report).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keel drill: ${escapeXml(s.name)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#1a202c}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e2e8f0}
.lede{color:#4a5568}.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.kpi{border:1px solid #e2e8f0;border-radius:6px;padding:8px 14px}
.kpi b{display:block;font-size:20px}table{border-collapse:collapse;font-size:12.5px;margin:8px 0;width:100%}
th,td{border-bottom:1px solid #e2e8f0;padding:4px 6px;text-align:right;vertical-align:top}.t{text-align:left}
tr.total td{font-weight:600}figure{margin:18px 0}figcaption{font-weight:600;margin-bottom:4px}
.pass{color:#276749}.fail{color:#c53030;font-weight:600}ul.checks{list-style:none;padding:0}code{background:#f7fafc;padding:1px 4px}
</style></head><body>
<h1>Keel drill: ${escapeXml(s.name)}</h1>
<p class="lede">${escapeXml(s.description)}</p>
<p><b>Time scale ${s.time_scale}×</b>: ${escapeXml(formatDurationMs(s.scenario_duration_ms))} of scenario time replayed in ${escapeXml(formatDurationMs(s.wall_duration_ms))} of wall-clock time · ${s.rate_per_s} requests/s · ${Math.round(s.stream_share * 100)}% streamed · route <code>${escapeXml(s.route)}</code> · primary <code>${escapeXml(s.primary)}</code> · started ${escapeXml(report.started_at)} · ran ${escapeXml(formatDurationMs(report.elapsed_ms))}</p>
<div class="kpis">
<div class="kpi">availability through Keel<b>${formatPercent(o.availability, 3)}</b></div>
<div class="kpi">${escapeXml(s.primary)} called directly<b>${formatPercent(o.primary_direct.availability, 1)}</b></div>
<div class="kpi">requests sent<b>${o.sent}</b></div>
<div class="kpi">lost<b>${o.lost}</b></div>
<div class="kpi">attempts per request<b>${o.attempts_per_request === null ? '—' : o.attempts_per_request.toFixed(2)}</b></div>
</div>
<ul class="checks">${checks}</ul>
<h2>Over time</h2>
${charts(report)}
<h2>Per phase</h2>
${table(['phase', 'at', 'sent', 'ok', 'degraded', 'failed', 'lost', 'availability', 'primary direct', '1st try ok', 'latency p50 / p99 / max', 'ttft p50 / p95', 'attempts/req', 'time to detect', 'back on primary', 'extra cost'], [...report.phases.map(phaseRow), phaseRow(o)], { text: [5], totals: true })}
<h2>Incidents</h2>
<p>Time to detect: fault start → the deployment's breaker opened, and from the moment the fault hit every request (a breaker may rightly stay closed while a fault hits only a share of requests). Time to recover: fault end → the first request it answered again.</p>
${table(['deployment', 'fault (scenario time)', 'cause', 'time to detect', 'every request failing from', 'time to detect from then', 'in phase', 'breaker opens', 'breaker closed after', 'time to recover'], report.incidents.map((i) => [i.deployment, `${formatDurationMs(i.scenario_fault_start_ms)} – ${i.scenario_fault_end_ms === null ? 'end' : formatDurationMs(i.scenario_fault_end_ms)}`, i.causes.join(' → '), i.time_to_detect_ms === null ? 'breaker not opened' : formatDurationMs(i.time_to_detect_ms), i.scenario_full_outage_start_ms === null ? '—' : formatDurationMs(i.scenario_full_outage_start_ms), i.scenario_full_outage_start_ms === null ? '—' : formatDetect(i.time_to_detect_full_outage_ms), i.detected_in_phase ?? '—', String(i.breaker_opens), ms(i.breaker_closed_after_ms), ms(i.time_to_recover_ms)]), { text: [1, 2, 6] })}
${report.vendor === undefined ? '' : `<h2>The vendor's word</h2>
<p>${escapeXml(report.vendor.page)}, component "${escapeXml(report.vendor.component)}": a simulated status page that posts on the drill's timeline, read by Keel's status-page poller as it reads a real one.</p>
${table(['', ''], vendorRows(report.vendor, formatDurationMs), { text: [0, 1] })}`}
<h2>Deployments</h2>
${table(['deployment', 'provider', 'model', 'upstream attempts', 'by outcome', 'answered', 'share', 'breaker opens', 'price in/out per Mtok'], report.deployments.map((d) => [d.id, d.provider, d.model, String(d.upstream_attempts), Object.entries(d.attempts_by_outcome).map(([k, n]) => `${k} ${n}`).join(', '), String(d.answered), formatPercent(d.share_of_answers, 1), String(d.breaker_opens), d.price === null ? '—' : `$${d.price.input_per_mtok} / $${d.price.output_per_mtok}`]), { text: [1, 2, 4] })}
<h2>Cost of failing over</h2>
${cost}
<h2>Cross-checks</h2>
<p>Keel recorded ${c.keel_requests} of ${o.sent} client requests (${c.outcome_mismatches} outcome and ${c.served_by_mismatches} deployment disagreements with the clients; ${c.continued_mid_stream} streams were committed by one deployment and finished by another). ${c.keel_upstream_attempts} upstream attempts (${c.keel_attempts_refused} refused at the endpoint) and ${c.direct_probes_sent} direct probes (${c.direct_probes_refused} refused) predict ${c.simulator_expected} simulator requests; it counted ${c.simulator_requests}.</p>
<h2>Timeline</h2>
${table(['scenario time', 'wall time', 'phase', 'action'], report.timeline.map((t) => [formatDurationMs(t.scenario_ms), formatDurationMs(t.wall_ms), t.phase, t.action]), { text: [2, 3] })}
<h2>Notes</h2>
<ul>${report.notes.map((n) => `<li>${escapeXml(n)}</li>`).join('')}</ul>
<script type="application/json" id="drill-report">${data}</script>
</body></html>
`;
}
