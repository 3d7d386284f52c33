/**
 * The console's views of what operators change, as HTML fragments from the admin API's answers: incidents
 * (timeline, evidence, updates, resolve) and maintenance, virtual keys (usage against limits and budgets,
 * rotate, revoke), SLO budgets and burn-rate alerts, and the audit log. Every value from data is escaped;
 * every button and form names the admin action it sends (through `/console/api/...`).
 */
import { esc, time } from '../status/status-html-parts.js';
import type { AuditEntry, Incident, MaintenanceWindow } from '../store/index.js';

const num = (n: number): string => n.toLocaleString('en-US');
const usd = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : `$${n.toFixed(2)}`);
const enc = encodeURIComponent;
const empty = (cols: number, text: string): string => `<tr><td colspan="${cols}" class="muted">${esc(text)}</td></tr>`;

function statusPill(status: string): string {
  return `<span class="pill i-${esc(status)}">${esc(status)}</span>`;
}

function updateForm(incident: Incident): string {
  const id = enc(incident.id);
  return `<form class="form" data-api="/console/api/incidents/${id}/updates" data-done="Update posted to ${esc(incident.id)}.">
<label>Status<select name="status">${['investigating', 'identified', 'monitoring', 'resolved'].map((s) => `<option${s === incident.status ? ' selected' : ''}>${s}</option>`).join('')}</select></label>
<label>Message<input type="text" name="message" required maxlength="5000" placeholder="What changed, what users see"></label>
<span><button class="primary" type="submit">Post update</button>
<button type="button" data-api="/console/api/incidents/${id}/resolve" data-confirm="Resolve this incident?" data-done="${esc(incident.id)} resolved.">Resolve</button></span></form>`;
}

function incidentCard(incident: Incident, nowMs: number): string {
  const window = `${time(incident.impactStart)} – ${incident.impactEnd === undefined ? 'ongoing' : time(incident.impactEnd)}`;
  const updates = [...incident.updates]
    .reverse()
    .map((u) => {
      const evidence = u.evidence === undefined ? '' : `<details><summary class="muted">evidence</summary><pre>${esc(JSON.stringify(u.evidence, null, 2))}</pre></details>`;
      return `<li><span class="st">${esc(u.status)}</span>${time(u.at)} <span class="muted">by ${esc(u.author)}</span><div>${esc(u.message)}</div>${evidence}</li>`;
    })
    .join('');
  const open = incident.status !== 'resolved';
  const minutes = Math.round(((incident.resolvedAt ?? nowMs) - incident.openedAt) / 60_000);
  return `<details class="card" id="incident-${esc(incident.id)}" data-incident="${esc(incident.id)}"${open ? ' open' : ''}>
<summary>${statusPill(incident.status)} <strong>${esc(incident.title)}</strong> <span class="muted">${esc(incident.component)} · ${esc(incident.impact.replace('_', ' '))} · ${num(minutes)} min</span></summary>
<p class="muted">Opened ${time(incident.openedAt)}${incident.resolvedAt === undefined ? '' : `, resolved ${time(incident.resolvedAt)}`}. Measured impact: ${window}.</p>
<ul class="timeline">${updates}</ul>${open ? updateForm(incident) : ''}</details>`;
}

export function incidentsFragment(incidents: Incident[], maintenance: MaintenanceWindow[], nowMs: number): string {
  const open = incidents.filter((i) => i.status !== 'resolved');
  const past = incidents.filter((i) => i.status === 'resolved');
  const rows = maintenance.map(
    (m) => `<tr><td>${esc(m.component)}</td><td>${time(m.startsAt)}</td><td>${time(m.endsAt)}</td><td>${m.endsAt <= nowMs ? 'done' : m.startsAt <= nowMs ? '<strong>in progress</strong>' : 'scheduled'}</td><td>${esc(m.description)}</td><td class="muted">${esc(m.createdBy)}</td></tr>`,
  );
  return `<h2>Open incidents (${open.length})</h2>${open.map((i) => incidentCard(i, nowMs)).join('') || '<p class="muted">None open.</p>'}
<h2>Recently resolved</h2>${past.map((i) => incidentCard(i, nowMs)).join('') || '<p class="muted">None.</p>'}
<h2>Maintenance windows</h2><div class="card"><table id="maintenance"><thead><tr><th>Component</th><th>Starts</th><th>Ends</th><th>State</th><th>Description</th><th>By</th></tr></thead><tbody>${rows.join('') || empty(6, 'None scheduled in the last 30 days or ahead.')}</tbody></table></div>`;
}

export function maintenanceForm(components: string[]): string {
  return `<h2>Schedule maintenance</h2><div class="card"><form class="form" id="maintenance-form" data-api="/console/api/maintenance" data-done="Maintenance scheduled.">
<label>Component<select name="component">${components.map((c) => `<option>${esc(c)}</option>`).join('')}</select></label>
<label>Starts<input type="datetime-local" name="starts_at" data-type="datetime" required></label>
<label>Ends<input type="datetime-local" name="ends_at" data-type="datetime" required></label>
<label>Description<input type="text" name="description" required maxlength="5000"></label>
<span><button class="primary" type="submit">Schedule</button></span></form>
<p class="muted">Minutes inside a window do not count against uptime, and the status page shows it. Times are your browser's local time.</p></div>`;
}

export interface KeyView {
  id: string;
  name: string;
  prefix: string;
  tenant: string;
  status: string;
  source: 'config' | 'store';
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  daily_budget_usd: number | null;
  monthly_budget_usd: number | null;
  priority: string;
  created_at: string | null;
  expires_at: string | null;
  spend_today_usd: number;
  spend_this_month_usd: number;
}

function budgetBar(spent: number, budget: number | null): string {
  if (budget === null) return `${usd(spent)} <span class="muted">no budget</span>`;
  const used = budget <= 0 ? 1 : Math.min(1, spent / budget);
  const w = Math.round(used * 80);
  return `<svg class="bar" width="80" height="8" viewBox="0 0 80 8" role="img" aria-label="${Math.round(used * 100)}% of the budget"><rect class="track" width="80" height="8" rx="4"></rect><rect class="fill${used >= 0.9 ? ' low' : ''}" width="${w}" height="8" rx="4"></rect></svg> ${usd(spent)} of ${usd(budget)}`;
}

/** This minute's client requests and tokens per tenant: what a key's rpm and tpm limits count. */
export interface TenantMinute {
  requests: Record<string, number>;
  tokens: Record<string, number>;
}

export function keysFragment(keys: KeyView[], thisMinute: TenantMinute): string {
  const rows = keys
    .sort((a, b) => Number(a.status !== 'active') - Number(b.status !== 'active') || a.name.localeCompare(b.name))
    .map((k) => {
      const rate = `${num(thisMinute.requests[k.tenant] ?? 0)}${k.rpm === null ? '' : ` of ${num(k.rpm)}`}`;
      const tokens = `${num(thisMinute.tokens[k.tenant] ?? 0)}${k.tpm === null ? '' : ` of ${num(k.tpm)}`}`;
      const actions =
        k.source === 'config'
          ? '<span class="muted">from the config file</span>'
          : k.status !== 'active'
            ? ''
            : `<button type="button" data-api="/console/api/keys/${enc(k.id)}/rotate" data-confirm="Rotate ${esc(k.name)}? The old secret stops working now." data-done="${esc(k.name)} rotated.">Rotate</button>
<button type="button" class="danger" data-api="/console/api/keys/${enc(k.id)}/revoke" data-confirm="Revoke ${esc(k.name)}? Its clients get 401 from now on." data-done="${esc(k.name)} revoked.">Revoke</button>`;
      return `<tr data-key="${esc(k.name)}"><td>${esc(k.name)}<div class="muted">${esc(k.prefix)} · tenant ${esc(k.tenant)}</div></td><td><span class="pill k-${esc(k.status)}">${esc(k.status)}</span></td>
<td>${k.models === null ? '<span class="muted">all</span>' : esc(k.models.join(', '))}</td><td class="n">${rate}</td><td class="n">${tokens}</td>
<td>${budgetBar(k.spend_today_usd, k.daily_budget_usd)}</td><td>${budgetBar(k.spend_this_month_usd, k.monthly_budget_usd)}</td><td>${esc(k.priority)}</td><td>${k.expires_at === null ? '—' : time(Date.parse(k.expires_at))}</td><td>${actions}</td></tr>`;
    });
  return `<div class="card"><table id="keys"><thead><tr><th>Key</th><th>Status</th><th>Models</th><th class="n">Requests this minute / rpm</th><th class="n">Tokens this minute / tpm</th><th>Spend today / daily budget</th><th>This month / monthly budget</th><th>Priority</th><th>Expires</th><th></th></tr></thead>
<tbody>${rows.join('') || empty(10, 'No keys yet: the gateway is open to loopback clients only. Create one below.')}</tbody></table></div>`;
}

export function keyForm(): string {
  return `<h2>Create a key</h2><div class="card"><form class="form" id="key-form" data-api="/console/api/keys" data-done="Key created.">
<label>Name<input type="text" name="name" required pattern="[A-Za-z0-9][A-Za-z0-9._:\\-]{0,127}" placeholder="team-search"></label>
<label>Tenant<input type="text" name="tenant" placeholder="defaults to the name"></label>
<label>Models<input type="text" name="models" data-type="list" placeholder="all; or: gpt-4o, claude-*"></label>
<label>Requests per minute<input type="number" name="rpm" data-type="number" min="1"></label>
<label>Tokens per minute<input type="number" name="tpm" data-type="number" min="1"></label>
<label>Daily budget (USD)<input type="number" name="daily_budget_usd" data-type="number" min="0" step="0.01"></label>
<label>Monthly budget (USD)<input type="number" name="monthly_budget_usd" data-type="number" min="0" step="0.01"></label>
<label>Priority<select name="priority"><option>interactive</option><option>batch</option></select></label>
<span><button class="primary" type="submit">Create key</button></span></form>
<p class="muted">The secret is shown once, right after creation; Keel stores only its hash.</p></div>`;
}

interface SloData {
  evaluatedAtMs: number;
  slos: { slo: { name: string; displayName?: string; route: string; target: number; windowDays: number; sli: { kind?: string } & Record<string, unknown> }; budget: { sli: number; good: number; total: number; bad: number; allowedBad: number; remaining: number }; alerts: { alert: string; severity: string; burnRateThreshold: number; longWindowMs: number; shortWindowMs: number; longBurnRate: number; shortBurnRate: number; firing: boolean; firingSinceMs?: number }[] }[];
}

const hours = (msValue: number): string => (msValue >= 3_600_000 ? `${msValue / 3_600_000} h` : `${msValue / 60_000} min`);

export function sloFragment(data: SloData | null): string {
  if (data === null) return '<div class="card"><p>No SLOs are configured, or they have not been evaluated yet. Add <code>slos:</code> to the config (see the README) to get error budgets and burn-rate alerts here.</p></div>';
  const cards = data.slos.map(({ slo, budget, alerts }) => {
    const remaining = Math.max(0, Math.min(1, budget.remaining));
    const w = Math.round(remaining * 160);
    const rows = alerts.map(
      (a) => `<tr><td>${esc(a.alert)}</td><td>${esc(a.severity)}</td><td class="n">${a.burnRateThreshold}×</td><td class="n">${a.longBurnRate.toFixed(2)}× over ${hours(a.longWindowMs)}</td><td class="n">${a.shortBurnRate.toFixed(2)}× over ${hours(a.shortWindowMs)}</td>
<td>${a.firing ? `<span class="pill a-firing">firing</span> since ${a.firingSinceMs === undefined ? '—' : time(a.firingSinceMs)}` : '<span class="pill a-ok">ok</span>'}</td></tr>`,
    );
    return `<div class="card" data-slo="${esc(slo.name)}"><h2>${esc(slo.displayName ?? slo.name)} <span class="muted">route ${esc(slo.route)} · target ${(slo.target * 100).toFixed(3).replace(/\.?0+$/, '')}% over ${slo.windowDays} days</span></h2>
<p><svg class="bar" width="160" height="10" viewBox="0 0 160 10" role="img" aria-label="error budget left"><rect class="track" width="160" height="10" rx="5"></rect><rect class="fill${remaining < 0.25 ? ' low' : ''}" width="${w}" height="10" rx="5"></rect></svg>
<strong class="budget">${(budget.remaining * 100).toFixed(1)}%</strong> of the error budget left · SLI ${(budget.sli * 100).toFixed(3)}% · ${num(budget.bad)} bad of ${num(budget.total)} (${num(Math.round(budget.allowedBad))} allowed)</p>
<table><thead><tr><th>Alert</th><th>Severity</th><th class="n">Threshold</th><th class="n">Long window</th><th class="n">Short window</th><th>State</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
  });
  return `<p class="muted">Evaluated ${time(data.evaluatedAtMs)}.</p>${cards.join('')}`;
}

export function auditFragment(entries: AuditEntry[]): string {
  const rows = [...entries]
    .sort((a, b) => b.at - a.at)
    .map((e) => `<tr><td>${time(e.at)}</td><td>${esc(e.actor)}</td><td>${esc(e.action)}</td><td>${esc(e.target)}</td><td>${e.details === undefined ? '' : `<pre>${esc(JSON.stringify(e.details))}</pre>`}</td></tr>`);
  return `<div class="card"><table id="audit"><thead><tr><th>When</th><th>Actor</th><th>Action</th><th>Target</th><th>Details</th></tr></thead><tbody>${rows.join('') || empty(5, 'Nothing changed yet.')}</tbody></table></div>`;
}

export function configFragment(source: string, canReload: boolean): string {
  return `<div class="card"><p>Running from <strong>${esc(source)}</strong>.</p>
<p><button type="button" data-api="/console/api/config/validate" data-done="The running config file is valid.">Validate the file on disk</button>
<button type="button" class="primary" data-api="/console/api/config/reload" data-confirm="Reload deployments and routes from the file?" data-done="Config reloaded." ${canReload ? '' : 'disabled title="Started without a config file: nothing to reload"'}>Reload from file</button></p>
<p class="muted">Reload swaps deployments and routes (their timeouts, retries, hedging and degraded answers) without dropping requests; an invalid file changes nothing. Server, store, cluster, telemetry and key settings take effect on the next restart.</p></div>
<h2>Validate a config before deploying it</h2><div class="card"><form id="config-form" data-api="/console/api/config/validate" data-raw="yaml" data-keep data-done="The posted config is valid.">
<textarea name="yaml" spellcheck="false" placeholder="Paste a keel.yaml here"></textarea><p><button class="primary" type="submit">Validate</button></p></form></div>`;
}
