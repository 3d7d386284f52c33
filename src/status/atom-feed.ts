/**
 * The incident history as an Atom feed (RFC 4287): one entry per incident, updated whenever a new update is
 * posted, its content the timeline. Feed readers and chat integrations poll it; it needs no state of its own.
 */
import type { PublicIncident, StatusModel } from './status-model.js';

/** Escapes text for XML, dropping the control characters XML 1.0 cannot carry at all. */
export function xmlText(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const iso = (ms: number): string => new Date(ms).toISOString();

function entryHtml(i: PublicIncident): string {
  // The content is HTML carried as escaped text (type="html"): escaped once here, once more by xmlText.
  const lines = [...i.updates].reverse().map((u) => `<p><strong>${xmlText(u.status)}</strong> (${iso(u.at)}): ${xmlText(u.message)}</p>`);
  const impact = `<p>Affected: ${xmlText(i.componentName)}. Impact: ${xmlText(i.impact.replace('_', ' '))}, from ${iso(i.impactStart)}${i.impactEnd === undefined ? '' : ` to ${iso(i.impactEnd)}`}.</p>`;
  return [impact, ...lines].join('');
}

export function atomFeed(model: StatusModel, incidents: readonly PublicIncident[] = model.incidents.all): string {
  const base = model.page.url;
  const sorted = [...incidents].sort((a, b) => b.updatedAt - a.updatedAt);
  const updated = sorted[0]?.updatedAt ?? model.page.generatedAtMs;
  const entries = sorted.map((i) =>
    [
      '  <entry>',
      `    <id>urn:keel:incident:${xmlText(i.id)}</id>`,
      `    <title>${xmlText(`[${i.status}] ${i.title}`)}</title>`,
      `    <published>${iso(i.openedAt)}</published>`,
      `    <updated>${iso(i.updatedAt)}</updated>`,
      ...(base === undefined ? [] : [`    <link rel="alternate" type="text/html" href="${xmlText(`${base}/status#${i.id}`)}"/>`]),
      `    <category term="${xmlText(i.impact)}"/>`,
      `    <content type="html">${xmlText(entryHtml(i))}</content>`,
      '  </entry>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>urn:keel:status:${model.page.name.toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'keel'}</id>`,
    `  <title>${xmlText(`${model.page.name}: incident history`)}</title>`,
    `  <updated>${iso(updated)}</updated>`,
    ...(base === undefined ? [] : [`  <link rel="self" type="application/atom+xml" href="${xmlText(`${base}/status/feed.atom`)}"/>`, `  <link rel="alternate" type="text/html" href="${xmlText(`${base}/status`)}"/>`]),
    '  <author><name>Keel</name></author>',
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
