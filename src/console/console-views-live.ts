/**
 * The console's live views as HTML fragments, each a pure function from plain data (the live traffic
 * snapshot, the admin API's answers) to escaped HTML: traffic per route and deployment, and the circuit
 * breakers with their overrides. The page's module swaps a fragment in every two seconds.
 */
import { esc, time } from '../status/status-html-parts.js';
import type { CircuitBreakerSnapshot } from '../resilience/index.js';
import type { Percentiles, TrafficSnapshot } from './live-traffic.js';

export interface BreakerView {
  id: string;
  snapshot: CircuitBreakerSnapshot;
  inFlight: number;
  limit: number;
}

const num = (n: number): string => n.toLocaleString('en-US');

export function ms(value: number | undefined): string {
  if (value === undefined) return '—';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

const ratio = (part: number, whole: number): string => (whole === 0 ? '—' : `${((part / whole) * 100).toFixed(1)}%`);

function spark(perMinute: number[]): string {
  const max = Math.max(1, ...perMinute);
  // SVG rather than styled elements: the page's CSP allows no inline style attributes.
  const w = perMinute.length * 6;
  const rects = perMinute.map((n, i) => {
    const h = Math.max(1, Math.round((n / max) * 18));
    return `<rect x="${i * 6}" y="${18 - h}" width="5" height="${h}"><title>${num(n)}</title></rect>`;
  });
  return `<svg class="spark" width="${w}" height="18" viewBox="0 0 ${w} 18" role="img" aria-label="requests per minute">${rects.join('')}</svg>`;
}

function pcts(p: Percentiles): string {
  return `${ms(p.p50)} / ${ms(p.p95)} / ${ms(p.p99)}`;
}

function counts(map: Record<string, number>, cls = 'bad'): string {
  const entries = Object.entries(map).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '—' : entries.map(([k, n]) => `<span class="${cls}">${esc(k)}</span> ${num(n)}`).join(', ');
}

export function breakerPill(state: string): string {
  return `<span class="pill b-${esc(state)}">${esc(state.replace('_', ' '))}</span>`;
}

export function trafficFragment(traffic: TrafficSnapshot, breakers: BreakerView[], load: { inFlight: number; queued: number }): string {
  const requests = traffic.routes.reduce((n, r) => n + r.requests, 0);
  const ok = traffic.routes.reduce((n, r) => n + r.ok, 0);
  const failedOver = traffic.routes.reduce((n, r) => n + r.failedOver, 0);
  const open = breakers.filter((b) => b.snapshot.state.state !== 'closed').length;
  const stats = [
    ['requests', num(requests), 'stat-requests'],
    ['answered', ratio(ok, requests), 'stat-answered'],
    ['failed over', num(failedOver), 'stat-failovers'],
    ['in flight', num(load.inFlight), 'stat-inflight'],
    ['queued', num(load.queued), 'stat-queued'],
    ['breakers not closed', num(open), 'stat-open'],
  ]
    .map(([label, value, id]) => `<span class="stat" id="${id}"><b>${value}</b><span class="muted">${label}</span></span>`)
    .join('');
  const routeRows = traffic.routes.map(
    (r) => `<tr data-route="${esc(r.route)}"><td>${esc(r.route)}</td><td class="n req">${num(r.requests)}</td><td>${spark(r.perMinute)}</td><td class="n">${ratio(r.ok, r.requests)}</td>
<td class="by">${counts(r.answeredBy, 'dep')}</td><td class="n">${num(r.failedOver)}</td><td class="n">${num(r.degraded)}</td><td>${counts(r.errors)}</td><td class="n">${pcts(r.latencyMs)}</td><td class="n">${ms(r.ttftMs.p50)} / ${ms(r.ttftMs.p95)}</td></tr>`,
  );
  const stateOf = new Map(breakers.map((b) => [b.id, b]));
  const seen = new Set(traffic.deployments.map((d) => d.deployment));
  const idle = breakers.filter((b) => !seen.has(b.id));
  const deploymentRows = [
    ...traffic.deployments.map((d) => {
      const b = stateOf.get(d.deployment);
      return `<tr data-deployment="${esc(d.deployment)}"><td>${esc(d.deployment)}</td><td>${b === undefined ? '' : breakerPill(b.snapshot.state.state)}</td><td class="n att">${num(d.attempts)}</td><td>${spark(d.perMinute)}</td>
<td class="n">${ratio(d.ok, d.attempts)}</td><td>${counts(d.failures)}</td><td class="n">${num(d.failovers)} / ${num(d.retries)} / ${num(d.hedges)}</td><td class="n">${pcts(d.latencyMs)}</td><td class="n">${ms(d.ttftMs.p50)} / ${ms(d.ttftMs.p95)}</td><td class="n">${b === undefined ? '—' : `${num(b.inFlight)} / ${num(b.limit)}`}</td></tr>`;
    }),
    ...idle.map(
      (b) => `<tr data-deployment="${esc(b.id)}"><td>${esc(b.id)}</td><td>${breakerPill(b.snapshot.state.state)}</td><td class="n att">0</td><td></td><td class="n">—</td><td>—</td><td class="n">—</td><td class="n">—</td><td class="n">—</td><td class="n">${num(b.inFlight)} / ${num(b.limit)}</td></tr>`,
    ),
  ];
  const empty = (cols: number, text: string): string => `<tr><td colspan="${cols}" class="muted">${text}</td></tr>`;
  return `<div class="card">${stats}<div class="muted">Last ${traffic.minutes} minutes, updated ${time(traffic.atMs)}</div></div>
<h2>Routes</h2><div class="card"><table id="routes"><thead><tr><th>Route</th><th class="n">Requests</th><th>Per minute</th><th class="n">Answered</th><th>Answered by</th><th class="n">Failed over</th><th class="n">Degraded</th><th>Errors to clients</th><th class="n">Latency p50 / p95 / p99</th><th class="n">First token p50 / p95</th></tr></thead>
<tbody>${routeRows.join('') || empty(10, 'No requests in these minutes.')}</tbody></table></div>
<h2>Deployments</h2><div class="card"><table id="deployments"><thead><tr><th>Deployment</th><th>Breaker</th><th class="n">Attempts</th><th>Per minute</th><th class="n">Succeeded</th><th>Failures</th><th class="n">Failovers / retries / hedges in</th><th class="n">Latency p50 / p95 / p99</th><th class="n">First token p50 / p95</th><th class="n">In flight / limit</th></tr></thead>
<tbody>${deploymentRows.join('') || empty(10, 'No deployments.')}</tbody></table></div>`;
}

function since(state: CircuitBreakerSnapshot['state']): number | undefined {
  switch (state.state) {
    case 'open':
    case 'forced_open':
      return state.openedAtMs;
    case 'half_open':
      return state.enteredAtMs;
    case 'closed':
      return undefined;
  }
}

function nextProbe(state: CircuitBreakerSnapshot['state']): string {
  switch (state.state) {
    case 'open':
      return time(state.untilMs);
    case 'half_open':
      return state.probesInFlight > 0 ? `probing now (${state.probesInFlight})` : 'the next request';
    case 'forced_open':
      return 'none: held open by an operator';
    case 'closed':
      return '—';
  }
}

export function breakersFragment(breakers: BreakerView[]): string {
  const rows = breakers.map(({ id, snapshot }) => {
    const state = snapshot.state;
    const from = since(state);
    const failures = state.state === 'closed' ? `${state.consecutiveFailures} in a row` : state.state === 'forced_open' ? '—' : `opened ${state.openCount}×`;
    const forced = state.state === 'forced_open';
    const actions = `<button type="button" class="danger" data-api="/console/api/breakers/${encodeURIComponent(id)}/open" data-confirm="Force the breaker of ${esc(id)} open? Its traffic fails over until it is closed." data-done="Breaker of ${esc(id)} forced open." ${forced ? 'disabled' : ''}>Force open</button>
<button type="button" data-api="/console/api/breakers/${encodeURIComponent(id)}/close" data-done="Breaker of ${esc(id)} forced closed." ${state.state === 'closed' ? 'disabled' : ''}>Force close</button>`;
    return `<tr data-breaker="${esc(id)}"><td>${esc(id)}</td><td class="state">${breakerPill(state.state)}</td><td>${from === undefined ? '—' : time(from)}</td><td>${nextProbe(state)}</td><td>${failures}</td>
<td>${snapshot.lastFailureAtMs === null ? '—' : time(snapshot.lastFailureAtMs)}</td><td>${actions}</td></tr>`;
  });
  return `<div class="card"><table id="breakers"><thead><tr><th>Deployment</th><th>State</th><th>Since</th><th>Next probe</th><th>Failures</th><th>Last provider fault</th><th>Override</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<p class="muted">Forcing open drains a deployment (its traffic fails over); forcing closed trusts it again at once. Both apply to every replica that shares Redis, and both are in the audit log.</p></div>`;
}
