/**
 * The drill report as plain text for the terminal: the scenario and its scale, a table per phase, the
 * errors clients received, incidents (time to detect and recover), deployments, cost, cross-checks and
 * the pass/fail checks.
 */
import { vendorRows } from './vendor-voice.js';
import { describeServedFrom } from './served-from.js';
import { formatDurationMs } from './duration.js';
import { describeExtraCost, formatBack, formatDetect, formatPercent, formatUsd } from './report-stats.js';
import type { DrillReport, PhaseStats } from './report-types.js';

/** Left-aligned first column, right-aligned numbers, two spaces between columns. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const ms = (v: number | null): string => (v === null ? '—' : formatDurationMs(v));

function phaseRow(p: PhaseStats): string[] {
  return [
    p.name,
    p.name === 'overall' ? '' : formatDurationMs(p.scenario_start_ms),
    String(p.sent),
    String(p.succeeded),
    String(p.degraded),
    String(p.failed),
    String(p.lost),
    formatPercent(p.availability),
    formatPercent(p.primary_direct.availability, 1),
    formatPercent(p.first_attempt_success, 1),
    `${ms(p.latency_ms.p50)}/${ms(p.latency_ms.p99)}/${ms(p.latency_ms.max)}`,
    `${ms(p.ttft_ms.p50)}/${ms(p.ttft_ms.p95)}`,
    p.attempts_per_request === null ? '—' : p.attempts_per_request.toFixed(2),
    formatDetect(p.time_to_detect_ms),
    formatBack(p.time_back_on_primary_ms),
    p.cost_usd === null ? '—' : formatUsd(p.cost_usd.extra),
  ];
}

export function renderReportTable(report: DrillReport): string {
  const s = report.scenario;
  const out: string[] = [];
  out.push(`Keel drill: ${s.name}${s.description === '' ? '' : ` — ${s.description.split('\n')[0]}`}`);
  out.push(`${formatDurationMs(s.scenario_duration_ms)} of scenario time at ${s.time_scale}× → ${formatDurationMs(s.wall_duration_ms)} wall · ${s.rate_per_s} req/s · ${Math.round(s.stream_share * 100)}% streamed · route ${s.route} · primary ${s.primary}`);
  out.push('');
  out.push(
    renderTable(
      ['phase', 'at', 'sent', 'ok', 'degraded', 'failed', 'lost', 'availability', 'primary direct', '1st try ok', 'latency p50/p99/max', 'ttft p50/p95', 'att/req', 'detect', 'back on primary', 'extra cost'],
      [...report.phases.map(phaseRow), phaseRow(report.overall)],
    ),
  );
  out.push('', 'Served from (provider and region):');
  out.push(renderTable(['phase', 'answers by provider and region'], [...report.phases, report.overall].map((p) => [p.name, describeServedFrom(p.served_from ?? p.served_by)])));
  const errors = report.phases.filter((p) => p.failed > 0 || p.lost > 0);
  if (errors.length > 0) {
    out.push('', 'What failed clients received:');
    for (const p of errors) {
      const parts = [...Object.entries(p.failed_by_type).map(([t, n]) => `${n}× ${t}`), ...Object.entries(p.lost_by_reason).map(([t, n]) => `${n}× LOST (${t})`)];
      out.push(`  ${p.name}: ${parts.join(', ')}`);
    }
  }
  if (report.overall.not_sent > 0) out.push('', `${report.overall.not_sent} arrivals were not sent (in-flight cap reached); they are neither failed nor lost.`);
  if (report.incidents.length > 0) {
    out.push('', 'Incidents (time to detect: fault start → breaker open, and from when it failed every request; to recover: fault end → traffic back):');
    out.push(
      renderTable(
        ['deployment', 'fault (scenario time)', 'detect', 'all failing at', 'detect from then', 'in phase', 'opens', 'breaker closed', 'recover', 'cause'],
        report.incidents.map((i) => [
          i.deployment,
          `${formatDurationMs(i.scenario_fault_start_ms)}–${i.scenario_fault_end_ms === null ? 'end' : formatDurationMs(i.scenario_fault_end_ms)}`,
          formatDetect(i.time_to_detect_ms),
          i.scenario_full_outage_start_ms === null ? '—' : formatDurationMs(i.scenario_full_outage_start_ms),
          i.scenario_full_outage_start_ms === null ? '—' : formatDetect(i.time_to_detect_full_outage_ms),
          i.detected_in_phase ?? '—',
          String(i.breaker_opens),
          ms(i.breaker_closed_after_ms),
          ms(i.time_to_recover_ms),
          i.causes.at(-1) ?? '',
        ]),
      ),
    );
  }
  if (report.vendor !== undefined) {
    out.push('', `The vendor's word (${report.vendor.page}, component "${report.vendor.component}"):`);
    out.push(renderTable(['', ''], vendorRows(report.vendor, formatDurationMs)));
  }
  out.push('', 'Deployments:');
  out.push(
    renderTable(
      ['deployment', 'provider', 'region', 'attempts', 'ok', 'answered', 'share', 'breaker opens', 'price in/out per Mtok'],
      report.deployments.map((d) => [d.id, d.provider, d.region ?? '—', String(d.upstream_attempts), String(d.attempts_by_outcome['ok'] ?? 0), String(d.answered), formatPercent(d.share_of_answers, 1), String(d.breaker_opens), d.price === null ? '—' : `$${d.price.input_per_mtok}/$${d.price.output_per_mtok}`]),
    ),
  );
  const cost = report.overall.cost_usd;
  if (cost !== null) out.push('', `Cost of the drill's traffic: ${formatUsd(cost.actual)} actual, ${formatUsd(cost.if_primary)} had the primary answered everything: ${describeExtraCost(cost.extra)}.`);
  const c = report.cross_checks;
  out.push('', `Cross-checks: Keel recorded ${c.keel_requests}/${report.overall.sent} requests, ${c.outcome_mismatches} outcome and ${c.served_by_mismatches} deployment disagreements (${c.continued_mid_stream} streams finished by another deployment); ${c.keel_upstream_attempts} upstream attempts (${c.keel_attempts_refused} refused) + ${c.direct_probes_sent} direct probes (${c.direct_probes_refused} refused) → simulator expected ${c.simulator_expected}, counted ${c.simulator_requests}.`);
  for (const example of c.examples) out.push(`  ${example}`);
  out.push('', ...report.checks.map((check) => `${check.ok ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`));
  out.push('', `Ran in ${formatDurationMs(report.elapsed_ms)} (start-up and drain included).`);
  return out.join('\n');
}
