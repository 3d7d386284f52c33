/**
 * The console's two page shells: the sign-in page, and the signed-in page around one view (navigation,
 * sign-out, the CSRF token for the page's module, the live part the module refreshes, and the view's
 * forms). No data is written here except escaped text; the admin token never appears in a page.
 */
import { esc } from '../status/status-html-parts.js';
import { CONSOLE_CSS } from './console-assets.js';

export const CONSOLE_VIEWS = {
  traffic: 'Traffic',
  breakers: 'Breakers',
  incidents: 'Incidents',
  keys: 'Keys',
  slo: 'SLOs',
  config: 'Config',
  audit: 'Audit log',
} as const;

export type ConsoleView = keyof typeof CONSOLE_VIEWS;

export function isConsoleView(name: string): name is ConsoleView {
  return Object.hasOwn(CONSOLE_VIEWS, name);
}

function head(title: string, extra = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>${esc(title)} · Keel console</title><style>${CONSOLE_CSS}</style>${extra}</head>`;
}

export function loginPage(message?: string): string {
  const note = message === undefined ? '' : `<div class="note err" role="alert" id="login-error">${esc(message)}</div>`;
  return `${head('Sign in')}<body><main><div class="login"><h1>Keel console</h1>${note}
<form method="post" action="/console/login"><label>Admin token<input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button class="primary" type="submit">Sign in</button></form>
<p class="muted">The token is <code>server.admin_token</code> (or <code>KEEL_ADMIN_TOKEN</code>). It is checked once and never stored in the browser: the session is a signed cookie.</p></div></main></body></html>`;
}

export interface PageParts {
  view: ConsoleView;
  csrf: string;
  /** The part the module refreshes every `refreshMs` (none: a static view). */
  live?: string;
  refreshMs?: number;
  /** Forms and notes below the live part. */
  rest?: string;
}

export function consolePage(parts: PageParts): string {
  const nav = (Object.entries(CONSOLE_VIEWS) as [ConsoleView, string][])
    .map(([view, label]) => `<a href="/console/${view}"${view === parts.view ? ' aria-current="page"' : ''}>${label}</a>`)
    .join('');
  const live =
    parts.live === undefined
      ? ''
      : `<section id="live" data-fragment="/console/fragments/${parts.view}" data-every="${parts.refreshMs ?? 2000}">${parts.live}</section>`;
  return `${head(CONSOLE_VIEWS[parts.view], `<meta name="csrf" content="${esc(parts.csrf)}"><script type="module" src="/console/assets/console.js"></script>`)}
<body><header class="top"><strong>Keel console</strong><nav>${nav}</nav>
<form method="post" action="/console/logout"><input type="hidden" name="csrf" value="${esc(parts.csrf)}"><button type="submit">Sign out</button></form></header>
<main><h1>${CONSOLE_VIEWS[parts.view]}</h1><output id="result" role="status" aria-live="polite"></output>${live}${parts.rest ?? ''}</main></body></html>`;
}
