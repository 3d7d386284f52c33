/**
 * The operator console's style sheet (inline, allowed by its hash) and its one ES module (served from
 * `/console/assets/console.js` to signed-in operators only), and the Content-Security-Policy that allows
 * exactly these: no other script, no inline script, no network beyond this origin, no frames.
 *
 * The module keeps the page live and sends actions; it renders nothing of its own from data: fragments
 * come rendered (and escaped) by the server, and what it writes from an answer goes in as text.
 */
import { createHash } from 'node:crypto';
import { STATUS_COLOURS as c } from '../status/status-page-assets.js';

export const CONSOLE_CSS = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2430;background:#f5f6f8;font-size:15px}
body{margin:0}a{color:#2a5db0}
header.top{display:flex;align-items:center;gap:18px;background:#1f2430;color:#fff;padding:10px 20px}
header.top strong{font-size:1.05rem}header.top nav{display:flex;gap:4px;flex:1;flex-wrap:wrap}
header.top nav a{color:#cfd5e2;text-decoration:none;padding:6px 10px;border-radius:6px}
header.top nav a[aria-current=page]{background:#3a4254;color:#fff}
header.top form{margin:0}
main{max-width:1200px;margin:0 auto;padding:18px 20px 48px}
h1{font-size:1.4rem;margin:4px 0 14px}h2{font-size:1.1rem;margin:26px 0 10px}
.card{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:12px 16px;margin:10px 0;overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{text-align:left;padding:6px 8px;border-top:1px solid #eef0f3;vertical-align:top}
th{color:#5b6272;font-weight:600;border-top:0}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#7a8091;font-size:.82rem}.stat{display:inline-block;margin:0 22px 8px 0}.stat b{display:block;font-size:1.5rem}
.pill{display:inline-block;border-radius:999px;padding:2px 10px;font-size:.78rem;font-weight:600;color:#fff;white-space:nowrap}
.b-closed{background:${c.operational}}.b-half_open{background:${c.degraded_performance}}.b-open,.b-forced_open{background:${c.major_outage}}
.i-investigating{background:${c.major_outage}}.i-identified{background:${c.partial_outage}}.i-monitoring{background:${c.degraded_performance}}.i-resolved{background:${c.operational}}
.k-active{background:${c.operational}}.k-revoked,.k-expired{background:#8a90a0}.a-firing{background:${c.major_outage}}.a-ok{background:${c.operational}}
.bad{color:${c.major_outage};font-weight:600}.warn{color:#b86a1e}
button,.button{font:inherit;font-size:.85rem;border:1px solid #b9c0cc;background:#fff;border-radius:6px;padding:4px 10px;cursor:pointer}
button.danger{border-color:${c.major_outage};color:${c.major_outage}}button.primary{background:#2a5db0;border-color:#2a5db0;color:#fff}
header.top button{background:transparent;color:#cfd5e2;border-color:#59627a}
form.inline{display:inline;margin:0}
.form{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:10px 14px;align-items:end}
label{display:flex;flex-direction:column;gap:4px;font-size:.8rem;color:#5b6272}
input,select,textarea{font:inherit;font-size:.9rem;padding:5px 7px;border:1px solid #c4cad5;border-radius:6px;background:#fff;color:#1f2430}
textarea{width:100%;box-sizing:border-box;min-height:220px;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem}
#result{display:block;min-height:0;margin:0 0 8px}#result:empty{display:none}
.note{border-radius:8px;padding:10px 14px;margin:8px 0;border:1px solid}.note.ok{background:#ecf7f0;border-color:#9fd3b0}.note.err{background:#fdeeee;border-color:#efaaaa}
.secret{font-family:ui-monospace,Menlo,Consolas,monospace;background:#1f2430;color:#fff;padding:6px 10px;border-radius:6px;display:inline-block;margin-top:6px;user-select:all;word-break:break-all}
.timeline{list-style:none;margin:6px 0;padding:0}.timeline li{margin:6px 0}.timeline .st{font-weight:700;text-transform:capitalize;margin-right:6px}
details>summary{cursor:pointer}pre{white-space:pre-wrap;word-break:break-word;font-size:.78rem;background:#f5f6f8;padding:6px 8px;border-radius:6px;margin:4px 0}
.spark{vertical-align:middle}.spark rect{fill:#7aa3e0}
.bar{vertical-align:middle}.bar .track{fill:#eef0f3}.bar .fill{fill:${c.operational}}.bar .fill.low{fill:${c.major_outage}}
.login{max-width:380px;margin:12vh auto;background:#fff;border:1px solid #e1e4ea;border-radius:10px;padding:24px}
.login form{display:flex;flex-direction:column;gap:12px}.login h1{margin-top:0}
`.trim();

export const CONSOLE_SCRIPT = `
const csrf = document.querySelector('meta[name="csrf"]')?.content ?? '';
const result = document.getElementById('result');
const live = document.getElementById('live');

function localTimes(root) {
  for (const t of root.querySelectorAll('time[datetime]')) {
    const d = new Date(t.getAttribute('datetime'));
    if (!Number.isNaN(d.getTime())) { t.title = t.getAttribute('datetime'); t.textContent = d.toLocaleString(); }
  }
}

function note(kind, text) {
  const div = document.createElement('div');
  div.className = 'note ' + kind;
  div.textContent = text;
  result.replaceChildren(div);
  return div;
}

async function refresh() {
  if (live === null) return;
  // Never wipe what an operator is typing into a form inside the live part.
  const active = document.activeElement;
  if (active !== null && live.contains(active) && active.matches('input, textarea, select')) return;
  if ([...live.querySelectorAll('input[type=text], textarea')].some((el) => el.value !== '')) return;
  const open = new Set([...live.querySelectorAll('details[open][id]')].map((d) => d.id));
  let res;
  try { res = await fetch(live.dataset.fragment, { credentials: 'same-origin', cache: 'no-store' }); } catch { return; }
  if (res.status === 401) { location.assign('/console/login'); return; }
  if (!res.ok) return;
  live.innerHTML = await res.text();
  for (const id of open) document.getElementById(id)?.setAttribute('open', '');
  localTimes(live);
  live.dataset.updated = String(Date.now());
}

function fieldsOf(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.value === '') continue;
    const kind = el.dataset.type;
    if (kind === 'number') body[el.name] = Number(el.value);
    else if (kind === 'list') body[el.name] = el.value.split(',').map((s) => s.trim()).filter(Boolean);
    else if (kind === 'datetime') body[el.name] = new Date(el.value).toISOString();
    else body[el.name] = el.value;
  }
  return body;
}

function showAnswer(source, status, json) {
  if (status >= 200 && status < 300 && json?.valid !== false && json?.reloaded !== false) {
    const done = note('ok', source.dataset.done ?? 'Done.');
    if (typeof json?.key === 'string') {
      const p = document.createElement('p');
      p.textContent = 'The key\\'s secret, shown this once (copy it now; Keel keeps only its hash):';
      const s = document.createElement('code');
      s.className = 'secret';
      s.id = 'new-secret';
      s.textContent = json.key;
      done.append(p, s);
    }
    if (json?.valid === true) done.append(' Deployments: ' + json.deployments.join(', ') + '; routes: ' + json.routes.join(', ') + '.');
    return true;
  }
  const err = note('err', json?.error?.message ?? (json?.issues ? 'The config has ' + json.issues.length + ' issue(s):' : 'Failed with HTTP ' + status + '.'));
  if (Array.isArray(json?.issues)) {
    const ul = document.createElement('ul');
    ul.id = 'issues';
    for (const i of json.issues) {
      const li = document.createElement('li');
      li.textContent = (i.path || '(root)') + (i.line ? ' (line ' + i.line + ')' : '') + ': ' + i.message;
      ul.append(li);
    }
    err.append(ul);
  }
  return false;
}

async function send(source, body, contentType) {
  if (source.dataset.confirm && !confirm(source.dataset.confirm)) return;
  const init = { method: source.dataset.method ?? 'POST', credentials: 'same-origin', headers: { 'x-keel-csrf': csrf } };
  if (body !== undefined) { init.body = body; init.headers['content-type'] = contentType; }
  let res;
  try { res = await fetch(source.dataset.api, init); } catch (e) { note('err', 'Keel did not answer: ' + e.message); return false; }
  if (res.status === 401) { location.assign('/console/login'); return false; }
  const json = await res.json().catch(() => undefined);
  return showAnswer(source, res.status, json);
}

document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.api === undefined) return;
  event.preventDefault();
  const raw = form.dataset.raw;
  const ok = raw !== undefined
    ? await send(form, form.elements[raw].value === '' ? undefined : form.elements[raw].value, 'application/yaml')
    : await send(form, JSON.stringify(fieldsOf(form)), 'application/json');
  if (ok && form.dataset.keep === undefined) form.reset();
  // After the reset: the refresh leaves a live part alone while a form in it holds text.
  document.activeElement?.blur();
  await refresh();
});

document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-api]');
  // A form's own submit button is the submit handler's; any other button with an action sends its own.
  if (button === null || (button.type === 'submit' && button.form?.dataset.api !== undefined)) return;
  event.preventDefault();
  await send(button, button.dataset.body, 'application/json');
  await refresh();
});

localTimes(document);
if (live !== null) setInterval(refresh, Number(live.dataset.every ?? 2000));
`.trim();

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64');

/** Allows the console's own style and module and nothing else; forms post only to this origin. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${sha256(CONSOLE_CSS)}'`,
  "script-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
