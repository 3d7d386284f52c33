/**
 * RSS 2.0 and Atom status feeds, for vendors that publish nothing else (AWS per service and region,
 * Azure). A feed has no components and no lifecycle, so each item is one incident whose only component is
 * its title (component patterns match the title), `resolved` when its words say so, `major` when they
 * speak of an outage. Only the few elements needed are read, with a bounded scan instead of a full XML
 * parser; each item is then checked with a schema like any other vendor data.
 */
import { z } from 'zod';
import { VendorStatusError, epochMs, type ParsedVendorIncident, type VendorSnapshot } from './vendor-snapshot.js';

const itemSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  at: z.number(),
  body: z.string(),
  link: z.string().optional(),
});

const RESOLVED = /\b(resolved|restored|recovered|operating normally|mitigated)\b/i;
const MAJOR = /\b(outage|unavailable|down|disruption|increased error rates?)\b/i;

export function parseStatusFeed(text: string): VendorSnapshot {
  if (!/<(rss|feed|rdf:RDF)[\s>]/.test(text)) throw new VendorStatusError('malformed', 'the status feed is neither RSS nor Atom');
  const blocks = [...text.matchAll(/<(item|entry)[\s>][\s\S]*?<\/\1>/g)].map((m) => m[0]);
  const incidents = blocks.flatMap((block): ParsedVendorIncident[] => {
    const title = element(block, 'title') ?? '';
    const link = element(block, 'link') || /<link[^>]*href="([^"]+)"/.exec(block)?.[1];
    const item = itemSchema.safeParse({
      id: element(block, 'guid') ?? element(block, 'id') ?? link ?? title,
      title,
      at: epochMs(element(block, 'pubDate') ?? element(block, 'published') ?? element(block, 'updated')),
      body: element(block, 'description') ?? element(block, 'summary') ?? element(block, 'content') ?? '',
      link,
    });
    if (!item.success) return [];
    const { id, at, body } = item.data;
    const words = `${item.data.title} ${body}`;
    const resolved = RESOLVED.test(words);
    const incident: ParsedVendorIncident = {
      id,
      title: item.data.title,
      status: resolved ? 'resolved' : 'investigating',
      impact: MAJOR.test(words) ? 'major' : 'minor',
      components: [item.data.title],
      startedAt: at,
      updates: [{ at, status: resolved ? 'resolved' : 'investigating', body }],
    };
    if (resolved) incident.resolvedAt = at;
    if (item.data.link !== undefined) incident.url = item.data.link;
    return [incident];
  });
  return { incidents, components: [] };
}

/** The text of the first `<name>` element in the block, CDATA unwrapped and entities decoded. */
function element(block: string, name: string): string | undefined {
  const match = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(block);
  if (match === null) return undefined;
  const raw = match[1]!.trim();
  const cdata = /^<!\[CDATA\[([\s\S]*)\]\]>$/.exec(raw);
  return decodeEntities(cdata === null ? raw : cdata[1]!).trim();
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
}
